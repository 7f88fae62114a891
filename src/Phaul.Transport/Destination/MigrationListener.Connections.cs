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

    private async Task HandleConnectionAsync(Socket socket, CancellationToken cancellationToken)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "unknown peer";
        _logger.ConnectionAccepted(peer);
        var handedOver = false;
        var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            SocketSetup.Configure(socket);
            var channel = new FrameChannel(stream, TransportSide.Source, peer);
            var hello = await ServerHandshake.RunAsync(channel, _options.Key, _options.Timeouts.Handshake, cancellationToken).ConfigureAwait(false);
            if (hello.Channel == Channel.Memory)
                handedOver = await JoinMemoryAsync(socket, channel, hello.SessionId, cancellationToken).ConfigureAwait(false);
            else if (hello.Channel == Channel.HandOverQuery)
                await AnswerHandOverQueryAsync(channel, hello.SessionId, cancellationToken).ConfigureAwait(false);
            else
                await RunSessionAsync(socket, channel, cancellationToken).ConfigureAwait(false);
        }
        catch (TransportException e)
        {
            _logger.ConnectionRefused(peer, e.Phase, e.Reason);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The listener is stopping or the peer vanished during the handshake; nothing to answer.
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            if (!handedOver)
                socket.Dispose();
        }
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
    private async Task<bool> JoinMemoryAsync(Socket socket, FrameChannel channel, ByteString sessionId, CancellationToken cancellationToken)
    {
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
        return waiting.TrySetResult(socket);
    }

    private async Task RunSessionAsync(Socket control, FrameChannel channel, CancellationToken cancellationToken)
    {
        var sessionId = RandomNumberGenerator.GetBytes(TransportProtocol.SessionIdLength);
        var id = Convert.ToHexStringLower(sessionId);
        var memoryJoined = _registry.Register(id);
        Socket? memory = null;
        IMigrationTarget? target = null;
        DestinationSession? session = null;
        var directory = "";
        Exception? error = null;
        try
        {
            await channel.SendAsync(new Envelope { AuthAccepted = new AuthAccepted { SessionId = ByteString.CopyFrom(sessionId) } },
                                    TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
            channel.MaxFrameLength = FrameCodec.MaxFrameLength;
            memory = await WaitForMemoryAsync(memoryJoined, control, channel, cancellationToken).ConfigureAwait(false);
            // CRIU's page server reads this socket directly.
            BlockingSocket.MakeBlocking(memory);
            directory = CreateSessionDirectory(id);
            _logger.SessionStarted(id, channel.PeerEndPoint, directory);
            target = _services.CreateTarget(new PhaulConfig { Memfd = (int)memory.SafeHandle.DangerousGetHandle(), Wdir = directory });
            session = new DestinationSession(id, channel, target, _options, _services, _loggerFactory.CreateLogger<DestinationSession>(),
                                             new SessionHandOver(_ledger, id, directory));
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
            _logger.SessionEnded(id);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = e as TransportException
                    ?? new TransportException(TransportSide.Destination, TransportPhase.AwaitingRequest, e.Message, session?.OpenIteration,
                                              channel.PeerEndPoint, e);
            _logger.SessionFailed(error, id);
            // The source's CRIU may be writing pages: a shut-down socket fails its next write at once (EPIPE), where a
            // page server that died would leave it blocked on a full socket until TCP gave up.
            TryShutdown(memory);
            await AbortAndDrainAsync(control, channel, (TransportException)error, cancellationToken).ConfigureAwait(false);
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
            memory?.Dispose();
            // A memory connection that joined after the session gave up waiting is closed too.
            _ = memoryJoined.ContinueWith(static joined => joined.Result.Dispose(), CancellationToken.None,
                                          TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
                                          TaskScheduler.Default);
        }
        if (directory.Length > 0)
            EndSessionDirectory(id, directory, restored: error is null && session?.RestoredPid is not null);
        RaiseSessionEnded(new MigrationSessionEndedEventArgs(id, channel.PeerEndPoint, directory, session?.RestoredPid, error));
    }

    private static void TryShutdown(Socket? memory)
    {
        try
        {
            memory?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer, or never joined.
        }
    }

    // A long-running destination would otherwise keep a copy of every migrated tree's memory on disk, and failed
    // sessions' pages would fill it until every later migration failed too.
    private void EndSessionDirectory(string id, string directory, bool restored)
    {
        if (!(restored ? _options.KeepImages : _options.KeepFailed))
            RemoveImages(id, directory);
        SessionDirectories.MarkEnded(directory);
    }

    private void RemoveImages(string id, string directory)
    {
        try
        {
            var (files, bytes) = SessionImages.Remove(directory);
            _logger.SessionImagesRemoved(id, files, bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.SessionImagesNotRemoved(id, e.Message);
        }
    }

    // A source that gave up (its memory connection refused, e.g. at the connection limit) closes its control
    // connection: the session ends at once instead of holding a connection slot until the handshake timeout.
    private async Task<Socket> WaitForMemoryAsync(Task<Socket> memoryJoined, Socket control, FrameChannel channel,
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
