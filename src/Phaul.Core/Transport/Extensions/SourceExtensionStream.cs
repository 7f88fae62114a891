using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The source's end of an extension stream, holding the control connection until disposed. Reading gives the handler's
/// bytes, then the end of the stream, or throws what the handler threw; writing sends; writing zero bytes ends the
/// source's side, which the handler reads as the end of the stream. Disposing ends the source's side if it was not
/// ended, waits for the handler's end (dropping its bytes) and closes the stream, so that the connection stays in step.
/// </summary>
internal sealed class SourceExtensionStream(SourceControl control, SourceControl.Hold hold, uint streamId) : ExtensionStream(streamId)
{
    private ReadOnlyMemory<byte> _unread;
    private bool _destinationEnded;
    private string _destinationError = "";
    private bool _sourceEnded;
    private bool _closed;
    private bool _outOfStep;

    private int? Iteration => control.CurrentIteration;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        while (_unread.IsEmpty && !_destinationEnded)
            await BreakingOnFailureAsync(() => ReceiveAsync(cancellationToken)).ConfigureAwait(false);
        if (!_unread.IsEmpty)
        {
            var count = Math.Min(buffer.Length, _unread.Length);
            _unread[..count].CopyTo(buffer);
            _unread = _unread[count..];
            return count;
        }
        return _destinationError.Length == 0 ? 0 : throw ExtensionClient.Refusal(control, _destinationError);
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (_sourceEnded)
            throw new InvalidOperationException("The source ended its side of the extension stream; it writes no more.");
        if (buffer.IsEmpty)
        {
            await BreakingOnFailureAsync(() => SendEndAsync(cancellationToken)).ConfigureAwait(false);
            return;
        }
        foreach (var frame in Frames(buffer))
            await BreakingOnFailureAsync(() => control.Channel.SendAsync(frame, TransportPhase.Extension, cancellationToken, Iteration).AsTask())
                .ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            CloseAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    // Not cancellable: the connection is the session's, and must be left in step (or known broken) for its next request.
    private async ValueTask CloseAsync()
    {
        if (_closed)
            return;
        _closed = true;
        if (_outOfStep)
        {
            hold.Dispose();
            return;
        }
        try
        {
            if (!_sourceEnded)
                await SendEndAsync(CancellationToken.None).ConfigureAwait(false);
            while (!_destinationEnded)
                await ReceiveAsync(CancellationToken.None).ConfigureAwait(false);
            var close = new ExtensionStreamClose { StreamId = StreamId };
            await control.Channel.SendAsync(new Envelope { ExtensionStreamClose = close }, TransportPhase.Extension, CancellationToken.None, Iteration)
                         .ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Disposing does not throw; the next request reports the broken connection.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            hold.Break(failure);
            control.Logger.ExtensionStreamNotClosed(failure.Message);
        }
        finally
        {
            hold.Dispose();
        }
    }

    private async Task SendEndAsync(CancellationToken cancellationToken)
    {
        _sourceEnded = true;
        var end = new ExtensionStreamEnd { StreamId = StreamId };
        await control.Channel.SendAsync(new Envelope { ExtensionStreamEnd = end }, TransportPhase.Extension, cancellationToken, Iteration)
                     .ConfigureAwait(false);
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var message = await control.Channel.ReceiveAnyAsync(TransportPhase.Extension, control.Timeouts.Reply, cancellationToken, Iteration)
                                   .ConfigureAwait(false);
        switch (message.BodyCase)
        {
            case Envelope.BodyOneofCase.ExtensionStreamData when message.ExtensionStreamData.StreamId == StreamId:
                _unread = message.ExtensionStreamData.Data.Memory;
                break;
            case Envelope.BodyOneofCase.ExtensionStreamEnd when message.ExtensionStreamEnd.StreamId == StreamId:
                _destinationEnded = true;
                _destinationError = message.ExtensionStreamEnd.Error;
                break;
            case Envelope.BodyOneofCase.Abort:
                throw control.Channel.Aborted(message.Abort, TransportPhase.Extension, Iteration);
            default:
                throw control.Channel.Unexpected(message, $"the data or the end of extension stream {StreamId}", TransportPhase.Extension, Iteration);
        }
    }

    // A failure half-way through a message exchange leaves the connection out of step: no later request may use it.
    private async Task BreakingOnFailureAsync(Func<Task> exchange)
    {
        try
        {
            await exchange().ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            _outOfStep = true;
            hold.Break(failure);
            throw;
        }
    }
}
