using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// What both ends of an extension stream share: a non-seekable byte stream over the control connection, asynchronous
/// only (a blocking read would hold a thread while the peer's bytes cross the network), sent in protocol-sized chunks.
/// </summary>
internal abstract class ExtensionStream(uint streamId) : Stream
{
    /// <summary>The stream's number on the connection.</summary>
    protected uint StreamId { get; } = streamId;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>The stream's bytes as the frames that carry them.</summary>
    protected IEnumerable<Envelope> Frames(ReadOnlyMemory<byte> buffer)
    {
        for (var offset = 0; offset < buffer.Length; offset += TransportProtocol.ExtensionChunkLength)
        {
            var chunk = buffer.Slice(offset, Math.Min(TransportProtocol.ExtensionChunkLength, buffer.Length - offset));
            yield return new Envelope { ExtensionStreamData = new ExtensionStreamData { StreamId = StreamId, Data = ByteString.CopyFrom(chunk.Span) } };
        }
    }

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("An extension stream is asynchronous only: use ReadAsync.");

    public override void Write(byte[] buffer, int offset, int count) =>
        throw new NotSupportedException("An extension stream is asynchronous only: use WriteAsync.");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
