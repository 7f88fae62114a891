using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Rpc;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The source's authenticated session with a destination: a control connection for requests and
/// image files, and a memory connection whose socket is <see cref="Memfd"/>, the fd CRIU sends
/// pages over. Hand <see cref="Local"/>, <see cref="Remote"/> and <see cref="Memfd"/> to
/// <c>PhaulClient.MakePhaulClient</c>; after a successful migration <see cref="Restored"/> says
/// where the tree runs now.
/// </summary>
/// <remarks>
/// Both ends support every strategy, post-copy included (<see cref="Local"/> is an <see cref="IPhaulPostCopyLocal"/>,
/// <see cref="Remote"/> an <see cref="IPhaulPostCopyRemote"/> that asks the destination's CRIU for lazy-pages support).
/// With post-copy the tree runs on the destination before its memory has arrived, and the source holds the only copy
/// of the rest. If a connection breaks before the destination answered the restore request, or when it answered that
/// the restore failed, the tree runs on the source again. From the moment the restore request may have reached the
/// destination, a broken connection loses the process: the source kills its stopped copy rather than risk running it
/// twice (even when the answer never came, as the destination may run the tree already), and the destination kills a
/// restored tree unless the source was told that every page arrived. Both say so: the source with a
/// <see cref="ProcessLostException"/>, the destination in the session's error (<see cref="MigrationListener.SessionEnded"/>),
/// each naming the restored pid when it knows it. A dead peer or a cut link is noticed within
/// about 30 s (TCP keepalive and user timeout); the other deadlines are the timeouts of
/// <see cref="MigrationConnectionOptions"/> and <see cref="MigrationListenerOptions"/>, and <see cref="PhaulServerOptions.PostCopyTimeout"/>.
/// </remarks>
/// <example>
/// <code>
/// await using var connection = await MigrationConnection.ConnectAsync(endPoint, PreSharedKey.LoadFile(keyPath));
/// var config = new PhaulConfig { Pid = pid, Memfd = connection.Memfd, Wdir = wdir };
/// var report = await PhaulClient.MakePhaulClient(connection.Local, connection.Remote, config).MigrateAsync();
/// Console.WriteLine($"now pid {connection.Restored!.Pid} on the destination");
/// </code>
/// </example>
public sealed class MigrationConnection : IAsyncDisposable
{
    private readonly TransportConnection _controlConnection;
    private readonly MemoryLink _memory;
    private readonly TransportConnection _memoryConnection;
    private readonly SourceControl _control;
    private readonly RemoteRestoreLocal _local;
    private readonly ExtensionClient _extensions;

    private MigrationConnection(TransportConnection control, TransportConnection memoryConnection, MemoryLink memory,
                                MigrationConnectionOptions options, HandOverResolver resolver, ILogger logger)
    {
        _controlConnection = control;
        _memoryConnection = memoryConnection;
        _memory = memory;
        _control = new SourceControl(control.Channel, options.Timeouts, logger, options.Progress);
        _local = new RemoteRestoreLocal(_control, options, resolver);
        Remote = new PhaulServerProxy(_control);
        _extensions = new ExtensionClient(_control);
        SessionId = Convert.ToHexStringLower(control.SessionId);
        Memfd = memory.CriuFd;
    }

    /// <summary>The destination, as seen by the migration loop; also an <see cref="IPhaulPostCopyRemote"/>.</summary>
    public IPhaulRemote Remote { get; }

    /// <summary>The final stage: dump, transfer the images, restore on the destination; also an <see cref="IPhaulPostCopyLocal"/>.</summary>
    public IPhaulLocal Local => _local;

    /// <summary>The memory connection's socket fd, for <c>PhaulConfig.Memfd</c>; valid until disposal.</summary>
    public int Memfd { get; }

    /// <summary>The session id the destination assigned, in hexadecimal (it names the session in both ends' logs).</summary>
    public string SessionId { get; }

    /// <summary>Whether the traffic is encrypted and integrity-protected (TLS 1.3); false only when both ends chose <c>InsecurePlaintext</c>.</summary>
    public bool Encrypted => _controlConnection.Encrypted;

    /// <summary>The destination's address.</summary>
    public string RemoteEndPoint => _control.Channel.PeerEndPoint;

    /// <summary>The destination's report once it restored the tree; <see langword="null"/> before.</summary>
    public RestoredTree? Restored => _local.Restored;

    /// <summary>
    /// Connects to a destination and authenticates both connections: TLS 1.3 on each (unless both ends chose
    /// <c>InsecurePlaintext</c>), and both ends prove they hold the key, bound to that TLS channel.
    /// </summary>
    /// <param name="destination">The destination's address (an <see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>).</param>
    /// <param name="key">The pre-shared key, the same as the destination's.</param>
    /// <param name="options">Deadlines and final-dump settings; null for the defaults.</param>
    /// <param name="loggerFactory">Where to log; null for none.</param>
    /// <param name="cancellationToken">Abandons connecting.</param>
    /// <exception cref="TransportException">
    /// The destination is unreachable, speaks another protocol version, or refused the session. Its
    /// <see cref="TransportException.Phase"/> is <see cref="TransportPhase.Authentication"/> when one side could not prove it
    /// holds the key (see <see cref="TransportException"/>).
    /// </exception>
    public static async Task<MigrationConnection> ConnectAsync(EndPoint destination, PreSharedKey key, MigrationConnectionOptions? options = null,
                                                               ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(key);
        options ??= MigrationConnectionOptions.Default;
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MigrationConnection>();
        var timeouts = options.Timeouts;
        logger.Connecting(destination.ToString()!);

        var connector = new TransportConnector(destination, key, options.InsecurePlaintext, timeouts);
        var control = await connector.ConnectAsync(Channel.Control, [], cancellationToken).ConfigureAwait(false);
        TransportConnection? memory = null;
        try
        {
            control.Channel.MaxFrameLength = FrameCodec.MaxFrameLength;
            memory = await connector.ConnectAsync(Channel.Memory, control.SessionId, cancellationToken).ConfigureAwait(false);
            if (!memory.SessionId.AsSpan().SequenceEqual(control.SessionId))
                throw memory.Channel.Failure(TransportPhase.Authentication, "the destination put the memory connection into another session");
            logger.Connected(destination.ToString()!, Convert.ToHexStringLower(control.SessionId), control.Encrypted);
            var link = MemoryLink.Open(memory, logger);
            var resolver = new HandOverResolver(connector, control.SessionId, timeouts, logger);
            return new MigrationConnection(control, memory, link, options, resolver, logger);
        }
        catch
        {
            if (memory is not null)
                await memory.DisposeAsync().ConfigureAwait(false);
            await control.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends a request to the destination's extension <paramref name="extension"/> (<see cref="IDestinationExtension.HandleRequestAsync"/>,
    /// registered in <see cref="MigrationListenerOptions.Extensions"/>) and returns its answer. Requests and streams take
    /// the control connection one at a time, between the migration's own requests.
    /// </summary>
    /// <param name="extension">The name the destination registered the extension under.</param>
    /// <param name="request">What to send; it must fit a frame with room to spare (under 1 MiB).</param>
    /// <param name="cancellationToken">Abandons the request; the connection is unusable afterwards.</param>
    /// <returns>The extension's answer.</returns>
    /// <exception cref="TransportException">
    /// In <see cref="TransportPhase.Extension"/>: the destination has no such extension, or its handler threw (the
    /// message carries the handler's); or the connection failed.
    /// </exception>
    public Task<byte[]> RequestAsync(string extension, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default) =>
        _extensions.RequestAsync(extension, request, cancellationToken);

    /// <summary>
    /// Opens a byte stream, both ways, to the destination's extension <paramref name="extension"/>
    /// (<see cref="IDestinationExtension.HandleStreamAsync"/>); the control connection is the stream's alone until it is
    /// disposed. Reading gives what the handler writes, then the end of the stream once the handler returned, or throws
    /// a <see cref="TransportException"/> carrying what the handler threw. Writing sends to the handler; writing zero
    /// bytes ends this side (the handler reads the end of the stream) while reading goes on. Disposing ends this side if
    /// it was not ended, waits for the handler to return, dropping what it still writes, and gives the connection back.
    /// </summary>
    /// <param name="extension">The name the destination registered the extension under.</param>
    /// <param name="header">What the handler gets first (e.g. what to do).</param>
    /// <param name="cancellationToken">Abandons the opening.</param>
    /// <returns>The stream; one reader and one writer at a time.</returns>
    /// <exception cref="TransportException">The destination has no such extension, or the connection failed.</exception>
    public Task<Stream> OpenStreamAsync(string extension, ReadOnlyMemory<byte> header, CancellationToken cancellationToken = default) =>
        _extensions.OpenStreamAsync(extension, header, cancellationToken);

    /// <summary>
    /// Cuts both connections at once (shutdown both ways) as a network failure would, without releasing
    /// anything: tests use it to break a migration at a chosen moment.
    /// </summary>
    internal void Sever()
    {
        _controlConnection.ShutDown();
        _memoryConnection.ShutDown();
    }

    /// <summary>Closes both connections; the destination then ends the session.</summary>
    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _controlConnection.DisposeAsync().ConfigureAwait(false);
        await _memory.DisposeAsync().ConfigureAwait(false);
    }
}
