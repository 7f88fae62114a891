using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.Transport;

/// <summary>
/// The destination service: listens on one TCP port, authenticates every connection, and runs a
/// PhaulServer per migration session in its own subdirectory of the configured Wdir. Sessions run
/// concurrently; disposing stops listening and ends every session.
/// </summary>
/// <example>
/// <code>
/// await using var listener = MigrationListener.Start(new MigrationListenerOptions { Wdir = dir, Key = PreSharedKey.LoadFile(keyPath) });
/// listener.SessionEnded += (_, e) => Console.WriteLine(e.RestoredPid is { } pid ? $"restored as pid {pid}" : $"failed: {e.Error?.Message}");
/// await listener.Completion.WaitAsync(cancellationToken);
/// </code>
/// </example>
public sealed partial class MigrationListener : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly MigrationListenerOptions _options;
    private readonly DestinationServices _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly SessionRegistry _registry = new();
    private readonly HandOverLedger _ledger;
    private readonly ConcurrentDictionary<long, Task> _connections = new();
    private readonly ConnectionAdmission _admission;
    private readonly RefusalLogLimit _refusalLog = new(RefusalsLoggedPerWindow, RefusalLogWindow, TimeProvider.System);
    private readonly X509Certificate2? _certificate;
    private readonly CancellationTokenSource _stopping = new();
    private long _nextConnection;
    private Task _acceptLoop = Task.CompletedTask;

    // A flood of refused connections must not flood the log.
    private const int RefusalsLoggedPerWindow = 20;
    private static readonly TimeSpan RefusalLogWindow = TimeSpan.FromSeconds(60);

    private MigrationListener(Socket socket, MigrationListenerOptions options, DestinationServices services, ILoggerFactory loggerFactory)
    {
        _admission = new ConnectionAdmission(options.MaxPendingConnections, options.MaxPendingConnectionsPerAddress, options.MaxConnections);
        _certificate = options.InsecurePlaintext ? null : TransportTls.CreateServerCertificate();
        _socket = socket;
        _options = options;
        _services = services;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<MigrationListener>();
        _ledger = new HandOverLedger(options.Wdir);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Raised when a session ends, restored or failed. Handlers run on the session's task; exceptions are logged.</summary>
    public event EventHandler<MigrationSessionEndedEventArgs>? SessionEnded;

    /// <summary>The address actually listened on (the port is chosen when the options asked for port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Completes when the listener is disposed; faults when accepting connections failed.</summary>
    public Task Completion => _acceptLoop;

    /// <summary>Validates the options, binds and starts accepting sources.</summary>
    /// <param name="options">Address, Wdir, key, limits and deadlines.</param>
    /// <param name="loggerFactory">Where to log; null for none.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static MigrationListener Start(MigrationListenerOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Start(options, loggerFactory, DestinationServices.ForPhaulServer(options.Server, loggerFactory));
    }

    internal static MigrationListener Start(MigrationListenerOptions options, ILoggerFactory? loggerFactory, DestinationServices services)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var socket = new Socket(options.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(options.EndPoint);
            socket.Listen();
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var listener = new MigrationListener(socket, options, services, loggerFactory ?? NullLoggerFactory.Instance);
        listener._logger.Listening(listener.LocalEndPoint.ToString(), Path.GetFullPath(options.Wdir));
        listener.SettleCrashedSessions();
        listener._acceptLoop = listener.AcceptLoopAsync();
        return listener;
    }

    // Sessions of a service that died mid-migration: their trees are gone (CRIU killed held copies; the death guard
    // lazily restored ones), their image files only fill the disk.
    private void SettleCrashedSessions()
    {
        if (_options.KeepFailed)
            return;
        try
        {
            foreach (var (directory, files, bytes) in SessionDirectories.SettleCrashed(_options.Wdir))
                _logger.CrashedSessionSettled(directory, files, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.CrashedSessionsNotSettled(_options.Wdir, e.Message);
        }
    }

    private async Task AcceptLoopAsync()
    {
        var stopping = _stopping.Token;
        while (!stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The peer gave up before we accepted; the next one may be fine.
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException && !stopping.IsCancellationRequested)
            {
                _logger.AcceptFailed(e, LocalEndPoint.ToString());
                throw;
            }
            var address = (accepted.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            var ticket = _admission.Admit(address, out var refusal);
            if (ticket is null)
            {
                Track(TurnAwayAsync(accepted, refusal!));
                continue;
            }
            Track(HandleConnectionAsync(accepted, ticket, stopping));
        }
    }

    private void Track(Task connection)
    {
        var id = Interlocked.Increment(ref _nextConnection);
        _connections[id] = connection;
        _ = connection.ContinueWith(ended => _connections.TryRemove(id, out var _), CancellationToken.None,
                                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void RaiseSessionEnded(MigrationSessionEndedEventArgs args)
    {
        try
        {
            SessionEnded?.Invoke(this, args);
        }
        catch (Exception e)
        {
            _logger.SessionEndedHandlerFailed(e, args.SessionId);
        }
    }

    /// <summary>Stops listening, cancels every session (killing their page servers and restores) and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
            return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Logged when it happened; disposal only ends the listener.
        }
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _certificate?.Dispose();
        _stopping.Dispose();
    }
}
