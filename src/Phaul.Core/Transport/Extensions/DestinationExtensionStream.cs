using System.Threading.Channels;
using ChunkQueue = System.Threading.Channels.Channel<System.ReadOnlyMemory<byte>>;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination's end of one extension stream: the <see cref="Stream"/> its handler reads and writes, and the pump
/// that receives the source's messages of the stream until the source closes it. What the source sends waits in a few
/// chunks at most (the pump stops receiving until the handler reads); once the handler is done, it is dropped.
/// </summary>
internal sealed class DestinationExtensionStream(FrameChannel channel, uint streamId, int? iteration, TimeSpan receiveTimeout)
    : ExtensionStream(streamId)
{
    private const int ChunksWaiting = 16;

    private readonly ChunkQueue _input =
        System.Threading.Channels.Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(ChunksWaiting) { SingleReader = true, SingleWriter = true });

    private ReadOnlyMemory<byte> _unread;
    private volatile bool _destinationEnded;

    /// <summary>Why receiving failed (the source aborted, broke the protocol or went silent), once it did.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>
    /// Receives the source's data and end until its close; a failure is kept in <see cref="Failure"/>, ends what the handler
    /// reads with it, and cancels <paramref name="handling"/>.
    /// </summary>
    public async Task PumpAsync(CancellationTokenSource handling, CancellationToken cancellationToken)
    {
        var sourceEnded = false;
        try
        {
            while (true)
            {
                var message = await channel.ReceiveAnyAsync(TransportPhase.Extension, receiveTimeout, cancellationToken, iteration).ConfigureAwait(false);
                switch (message.BodyCase)
                {
                    case Envelope.BodyOneofCase.ExtensionStreamData when message.ExtensionStreamData.StreamId == StreamId && !sourceEnded:
                        await OfferAsync(message.ExtensionStreamData.Data.Memory, cancellationToken).ConfigureAwait(false);
                        break;
                    case Envelope.BodyOneofCase.ExtensionStreamEnd when message.ExtensionStreamEnd.StreamId == StreamId && !sourceEnded:
                        sourceEnded = true;
                        _input.Writer.TryComplete();
                        break;
                    case Envelope.BodyOneofCase.ExtensionStreamClose when message.ExtensionStreamClose.StreamId == StreamId && _destinationEnded:
                        return;
                    case Envelope.BodyOneofCase.Abort:
                        throw channel.Aborted(message.Abort, TransportPhase.Extension, iteration);
                    default:
                        throw channel.Unexpected(message, $"the data, end or close of extension stream {StreamId}", TransportPhase.Extension, iteration);
                }
            }
        }
        catch (Exception e)
        {
            Failure = e;
            _input.Writer.TryComplete(e);
            await handling.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The handler is done: what the source still sends is dropped.</summary>
    public void EndInput() => _input.Writer.TryComplete();

    /// <summary>Ends the destination's side with the handler's error ("" when it succeeded); the source then closes the stream.</summary>
    public async Task SendEndAsync(string error, CancellationToken cancellationToken)
    {
        _destinationEnded = true;
        var end = new ExtensionStreamEnd { StreamId = StreamId, Error = error };
        await channel.SendAsync(new Envelope { ExtensionStreamEnd = end }, TransportPhase.Extension, cancellationToken, iteration).ConfigureAwait(false);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_unread.IsEmpty)
        {
            if (!await _input.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                return 0;
            _input.Reader.TryRead(out _unread);
        }
        var count = Math.Min(buffer.Length, _unread.Length);
        _unread[..count].CopyTo(buffer);
        _unread = _unread[count..];
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        foreach (var frame in Frames(buffer))
            await channel.SendAsync(frame, TransportPhase.Extension, cancellationToken, iteration).ConfigureAwait(false);
    }

    // Waits for room while the handler reads; once it is done (the input completed), the chunk is dropped.
    private async Task OfferAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (chunk.IsEmpty)
            return;
        while (await _input.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_input.Writer.TryWrite(chunk))
                return;
        }
    }
}
