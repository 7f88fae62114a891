using System.Net.Sockets;
using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

public sealed partial class MigrationListener
{
    // After an abort, read and drop what the source still sends (at most this much) so that closing
    // does not reset the connection and destroy the abort message before the source reads it.
    private const long MaxDrainBytes = 64L << 20;

    private static readonly TimeSpan AbortOnShutdownTimeout = TimeSpan.FromSeconds(1);

    // How long a refused peer has to read the refusal before the connection closes.
    private static readonly TimeSpan RefusalTimeout = TimeSpan.FromSeconds(1);

    private async Task HandleConnectionAsync(Socket socket, ConnectionAdmission.Ticket ticket, CancellationToken cancellationToken)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "unknown peer";
        _logger.ConnectionAccepted(peer);
        TransportConnection? connection = null;
        var handedOver = false;
        using (ticket)
        {
            try
            {
                SocketSetup.Configure(socket);
                var (authenticated, hello) = await AuthenticateAsync(socket, ticket, peer, cancellationToken).ConfigureAwait(false);
                connection = authenticated;
                if (connection is null)
                    return;
                if (!ticket.TryAuthenticate())
                {
                    var busy = $"the destination has {_options.MaxConnections} authenticated connections open already; try again later";
                    await connection.Channel.TryAbortAsync(busy, TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
                    _logger.ConnectionRefused(peer, TransportPhase.Authentication, busy);
                    return;
                }
                handedOver = await DispatchAsync(connection, hello!, cancellationToken).ConfigureAwait(false);
            }
            catch (TransportException e)
            {
                LogRefusal(() => _logger.ConnectionRefused(peer, e.Phase, e.Reason));
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException
                                          or System.Security.Authentication.AuthenticationException)
            {
                // The listener is stopping, or the peer vanished or broke TLS during the handshake; nothing to answer.
            }
            finally
            {
                if (!handedOver)
                {
                    if (connection is not null)
                        await connection.DisposeAsync().ConfigureAwait(false);
                    socket.Dispose();
                }
            }
        }
    }

    private async Task<bool> DispatchAsync(TransportConnection connection, ClientHello hello, CancellationToken cancellationToken)
    {
        switch (hello.Channel)
        {
            case Channel.Memory:
                return await JoinMemoryAsync(connection, hello.SessionId, cancellationToken).ConfigureAwait(false);
            case Channel.HandOverQuery:
                await AnswerHandOverQueryAsync(connection.Channel, hello.SessionId, cancellationToken).ConfigureAwait(false);
                return false;
            default:
                await RunSessionAsync(connection, cancellationToken).ConfigureAwait(false);
                return false;
        }
    }

    /// <summary>
    /// The greeting, TLS and the key's proof, all within one handshake deadline, so that a slow peer cannot hold its
    /// slot longer by trickling bytes. A connection dropped for a newcomer is told so.
    /// </summary>
    /// <returns>The authenticated connection and its hello; no connection when the peer was refused (logged).</returns>
    private async Task<(TransportConnection? Connection, ClientHello? Hello)> AuthenticateAsync(Socket socket, ConnectionAdmission.Ticket ticket,
                                                                                              string peer, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, ticket.Evicted);
        deadline.CancelAfter(_options.Timeouts.Handshake);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            if (!await GreetAsync(stream, ticket, peer, deadline.Token).ConfigureAwait(false))
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                return (null, null);
            }
            var binding = Array.Empty<byte>();
            CoalescingSocketStream? underTls = null;
            if (_certificate is not null)
            {
                underTls = new CoalescingSocketStream(stream);
                (stream, binding) = await TransportTls.AuthenticateAsDestinationAsync(underTls, _certificate, deadline.Token).ConfigureAwait(false);
            }
            var channel = new FrameChannel(stream, TransportSide.Source, peer);
            var hello = await ServerHandshake.RunAsync(channel, _options.Key, binding, _options.Timeouts.Handshake, deadline.Token).ConfigureAwait(false);
            return (new TransportConnection(socket, stream, channel, hello.SessionId.ToByteArray(), underTls), hello);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            var evicted = ticket.Evicted.IsCancellationRequested;
            var reason = evicted
                ? "dropped before its greeting to make room for a newer connection"
                : $"its handshake did not complete within {_options.Timeouts.Handshake.TotalSeconds:0.###} s";
            if (evicted)
                await RefuseAsync(socket, reason).ConfigureAwait(false);
            LogRefusal(() => _logger.ConnectionTurnedAway(peer, reason));
            return (null, null);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <returns>Whether the source's greeting was accepted; a refusal is sent and logged.</returns>
    private async Task<bool> GreetAsync(Stream stream, ConnectionAdmission.Ticket ticket, string peer, CancellationToken cancellationToken)
    {
        string? line;
        try
        {
            line = await ConnectionGreeting.ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            line = null;
            LogRefusal(() => _logger.ConnectionTurnedAway(peer, e.Message));
        }
        if (line is null)
            return false;
        if (ConnectionGreeting.CheckSourceLine(line, _options.InsecurePlaintext) is { } refusal)
        {
            await stream.WriteAsync(ConnectionGreeting.RefusedLine(refusal), cancellationToken).ConfigureAwait(false);
            LogRefusal(() => _logger.ConnectionTurnedAway(peer, refusal));
            return false;
        }
        ticket.MarkGreeted();
        await stream.WriteAsync(ConnectionGreeting.AcceptedLine(), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Refuses a connection there is no room for, as it arrives.</summary>
    private async Task TurnAwayAsync(Socket socket, string reason)
    {
        using (socket)
        {
            var peer = socket.RemoteEndPoint?.ToString() ?? "unknown peer";
            LogRefusal(() => _logger.ConnectionTurnedAway(peer, reason));
            await RefuseAsync(socket, reason).ConfigureAwait(false);
        }
    }

    /// <summary>Tells a peer it is refused before anything else, and closes without destroying the message.</summary>
    private static async Task RefuseAsync(Socket socket, string reason)
    {
        using var shortly = new CancellationTokenSource(RefusalTimeout);
        try
        {
            await socket.SendAsync(ConnectionGreeting.RefusedLine(reason), shortly.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            // Closing with the peer's greeting unread would reset the connection and destroy the refusal before it is read.
            var buffer = new byte[ConnectionGreeting.MaxLineLength];
            while (await socket.ReceiveAsync(buffer, shortly.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The peer is gone or silent; closing is all that is left.
        }
    }

    private void LogRefusal(Action log)
    {
        if (!_refusalLog.TryLog(out var suppressed))
            return;
        if (suppressed > 0)
            _logger.RefusalsSuppressed(suppressed, (int)_refusalLog.Window.TotalSeconds);
        log();
    }

    /// <summary>Tells an authenticated source how a session's hand-over ended; the answer is final (see <see cref="HandOverLedger"/>).</summary>
    private async Task AnswerHandOverQueryAsync(FrameChannel channel, ByteString sessionId, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(sessionId.Span);
        await channel.SendAsync(new Envelope { AuthAccepted = new AuthAccepted { SessionId = sessionId } }, TransportPhase.Authentication,
                                cancellationToken).ConfigureAwait(false);
        await _options.HandOverHooks.ReachedAsync(HandOverStep.QueryReceived).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeouts.HandOver);
        var resumed = await _ledger.ResolveAsync(id, deadline.Token).ConfigureAwait(false);
        _logger.HandOverQueryAnswered(id, channel.PeerEndPoint, resumed);
        await channel.SendAsync(new Envelope { HandOverOutcome = new HandOverOutcome { Resumed = resumed } }, TransportPhase.HandOver,
                                cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives an authenticated memory connection to the session waiting for it.</summary>
    /// <returns>Whether the session took the socket.</returns>
    private async Task<bool> JoinMemoryAsync(TransportConnection memory, ByteString sessionId, CancellationToken cancellationToken)
    {
        var channel = memory.Channel;
        var id = Convert.ToHexStringLower(sessionId.Span);
        var waiting = _registry.TryClaim(id);
        if (waiting is null)
        {
            const string reason = "no session is waiting for a memory connection with this id";
            await channel.TryAbortAsync(reason, TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
            throw channel.Failure(TransportPhase.Authentication, reason);
        }
        try
        {
            await channel.SendAsync(new Envelope { AuthAccepted = new AuthAccepted { SessionId = sessionId } },
                                    TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            waiting.TrySetException(e);
            throw;
        }
        _logger.MemoryConnectionJoined(id, channel.PeerEndPoint);
        return waiting.TrySetResult(memory);
    }

    private async Task RunSessionAsync(TransportConnection control, CancellationToken cancellationToken)
    {
        var channel = control.Channel;
        var sessionId = RandomNumberGenerator.GetBytes(TransportProtocol.SessionIdLength);
        var id = Convert.ToHexStringLower(sessionId);
        var memoryJoined = _registry.Register(id);
        TransportConnection? memory = null;
        MemoryLink? link = null;
        IMigrationTarget? target = null;
        DestinationSession? session = null;
        var directory = "";
        Exception? error = null;
        DestinationTelemetry.SessionStarted();
        try
        {
            await channel.SendAsync(new Envelope { AuthAccepted = new AuthAccepted { SessionId = ByteString.CopyFrom(sessionId) } },
                                    TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
            channel.MaxFrameLength = FrameCodec.MaxFrameLength;
            memory = await WaitForMemoryAsync(memoryJoined, control.Socket, channel, cancellationToken).ConfigureAwait(false);
            link = MemoryLink.Open(memory, _logger);
            directory = CreateSessionDirectory(id);
            _logger.SessionStarted(id, channel.PeerEndPoint, directory);
            target = _services.CreateTarget(new PhaulConfig { Memfd = link.CriuFd, Wdir = directory });
            session = new DestinationSession(id, channel, target, _options, _services, _loggerFactory.CreateLogger<DestinationSession>(),
                                             new SessionHandOver(_ledger, id, directory), link.CriuFd);
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
            _logger.SessionEnded(id);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = e as TransportException
                    ?? new TransportException(TransportSide.Destination, TransportPhase.AwaitingRequest, e.Message, session?.OpenIteration,
                                              channel.PeerEndPoint, e);
            _logger.SessionFailed(error, id);
            // The source's CRIU may be writing pages: a reset connection fails its write at once, even one blocked on a
            // full window, where a page server that died would leave it blocked until TCP gave up.
            if (link is not null)
                link.Reset();
            else
                memory?.Reset();
            await AbortAndDrainAsync(control.Socket, channel, (TransportException)error, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException e)
        {
            error = e;
            using var shortly = new CancellationTokenSource(AbortOnShutdownTimeout);
            await channel.TryAbortAsync("the destination service is shutting down", TransportPhase.AwaitingRequest, shortly.Token).ConfigureAwait(false);
        }
        finally
        {
            _registry.Remove(id);
            session?.Dispose();
            target?.Dispose();
            if (link is not null)
                await link.DisposeAsync().ConfigureAwait(false);
            else if (memory is not null)
                await memory.DisposeAsync().ConfigureAwait(false);
            // A memory connection that joined after the session gave up waiting is closed too.
            _ = memoryJoined.ContinueWith(static joined => joined.Result.DisposeAsync().AsTask(), CancellationToken.None,
                                          TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                                          TaskScheduler.Default);
        }
        var restored = error is null && session?.RestoredPid is not null;
        DestinationTelemetry.SessionEnded(restored, error);
        if (directory.Length > 0)
            EndSessionDirectory(id, directory, restored);
        RaiseSessionEnded(new MigrationSessionEndedEventArgs(id, channel.PeerEndPoint, directory, session?.RestoredPid, error));
    }

    // A long-running destination would otherwise keep a copy of every migrated tree's memory on disk, and failed
    // sessions' pages would fill it until every later migration failed too.
    private void EndSessionDirectory(string id, string directory, bool restored)
    {
        if (!(restored ? _options.KeepImages : _options.KeepFailed))
            RemoveImages(id, directory, restored ? "the tree runs here" : "it failed, the tree was not restored here");
        SessionDirectories.MarkEnded(directory);
    }

    private void RemoveImages(string id, string directory, string outcome)
    {
        try
        {
            var (files, bytes) = SessionImages.Remove(directory);
            _logger.SessionImagesRemoved(id, outcome, files, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.SessionImagesNotRemoved(id, e.Message);
        }
    }

    // A source that gave up (its memory connection refused, e.g. at the connection limit) closes its control
    // connection: the session ends at once instead of holding a connection slot until the handshake timeout.
    private async Task<TransportConnection> WaitForMemoryAsync(Task<TransportConnection> memoryJoined, Socket control, FrameChannel channel,
                                                  CancellationToken cancellationToken)
    {
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sourceGone = EndOfStreamAsync(control, stopWatching.Token);
        try
        {
            var first = await Task.WhenAny(memoryJoined, sourceGone).WaitAsync(_options.Timeouts.Handshake, cancellationToken)
                                  .ConfigureAwait(false);
            if (first == sourceGone && await sourceGone.ConfigureAwait(false))
                throw channel.Failure(TransportPhase.Handshake, "the source closed its control connection before its memory connection joined");
            return await memoryJoined.WaitAsync(_options.Timeouts.Handshake, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw channel.Failure(TransportPhase.Handshake,
                $"the source's memory connection did not join within {_options.Timeouts.Handshake.TotalSeconds:0.###} s");
        }
        finally
        {
            await stopWatching.CancelAsync().ConfigureAwait(false);
        }
    }

    // Readable with nothing to read is the end of the stream; readable with data is the source moving on.
    private static async Task<bool> EndOfStreamAsync(Socket socket, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return socket.Receive(new byte[1], SocketFlags.Peek) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private string CreateSessionDirectory(string id)
    {
        var name = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{id[..8]}";
        var path = Path.GetFullPath(Path.Combine(_options.Wdir, name));
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private async Task AbortAndDrainAsync(Socket control, FrameChannel channel, TransportException error, CancellationToken cancellationToken)
    {
        await channel.TryAbortAsync(error.Reason, error.Phase, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Timeouts.Transfer);
        var buffer = new byte[64 * 1024];
        try
        {
            control.Shutdown(SocketShutdown.Send);
            for (long drained = 0; drained < MaxDrainBytes;)
            {
                var read = await control.ReceiveAsync(buffer, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                    return;
                drained += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The source is gone or silent; closing is all that is left.
        }
    }
}
