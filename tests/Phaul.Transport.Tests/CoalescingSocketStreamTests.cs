namespace Phaul.Transport.Tests;

/// <summary>
/// The stream under TLS: it must carry exactly the bytes given, in order, while cutting the calls on the socket
/// (each stands for a system call) from one per record to one per batch.
/// </summary>
public sealed class CoalescingSocketStreamTests
{
    private const int Record = 16 * 1024 + 22;

    [Fact]
    public void ManySmallReads_AreServedByOneReceive_AndTheBufferedInputIsReported()
    {
        var data = Bytes(10 * Record);
        var socket = new CountingStream(data);
        using var stream = new CoalescingSocketStream(socket);

        var received = ReadAll(stream, Record, out var bufferedAfterFirst);

        Assert.Equal(data, received);
        Assert.True(bufferedAfterFirst, "the first read should have left the other records waiting in the stream");
        // One receive for every record, one more that saw the end.
        Assert.Equal(2, socket.Reads);
    }

    [Fact]
    public async Task AsynchronousReads_ReadAheadToo()
    {
        var data = Bytes(5 * Record);
        var socket = new CountingStream(data);
        await using var stream = new CoalescingSocketStream(socket);
        var buffer = new byte[Record];

        for (var i = 0; i < 5; i++)
            Assert.Equal(Record, await stream.ReadAsync(buffer, TestContext.Current.CancellationToken));

        Assert.Equal(data[(4 * Record)..], buffer);
        Assert.Equal(1, socket.Reads);
    }

    [Fact]
    public void BatchedWrites_AreSentOnFlush_InOneSend_AndInOrder()
    {
        var socket = new CountingStream([]);
        using var stream = new CoalescingSocketStream(socket) { BatchWrites = true };
        var records = Enumerable.Range(0, 12).Select(i => Bytes(Record, seed: i)).ToList();

        foreach (var record in records)
            stream.Write(record);
        Assert.Equal(0, socket.Writes);
        stream.Flush();

        Assert.Equal(1, socket.Writes);
        Assert.Equal(records.SelectMany(r => r), socket.Written.ToArray());
    }

    [Fact]
    public void WithoutBatching_EveryWriteIsSentAtOnce()
    {
        var socket = new CountingStream([]);
        using var stream = new CoalescingSocketStream(socket);

        stream.Write(Bytes(100));
        stream.Write(Bytes(100, seed: 1));

        Assert.Equal(2, socket.Writes);
    }

    [Fact]
    public async Task AnAsynchronousWrite_SendsWhatWasBatchedFirst()
    {
        // close_notify is written asynchronously after the relay's last batch: it must not overtake it.
        var socket = new CountingStream([]);
        await using var stream = new CoalescingSocketStream(socket) { BatchWrites = true };
        var batched = Bytes(1000);
        var alert = Bytes(24, seed: 7);

        stream.Write(batched);
        await stream.WriteAsync(alert, TestContext.Current.CancellationToken);

        Assert.Equal(batched.Concat(alert), socket.Written.ToArray());
    }

    [Fact]
    public void ABatchThatWouldOverflow_IsSentBeforeTheWriteThatDoesNotFit()
    {
        var socket = new CountingStream([]);
        using var stream = new CoalescingSocketStream(socket) { BatchWrites = true };
        var records = Enumerable.Range(0, 40).Select(i => Bytes(Record, seed: i)).ToList();

        foreach (var record in records)
            stream.Write(record);
        stream.Flush();

        Assert.InRange(socket.Writes, 2, 4);
        Assert.Equal(records.SelectMany(r => r), socket.Written.ToArray());
    }

    private static byte[] ReadAll(Stream stream, int chunk, out bool bufferedAfterFirst)
    {
        var received = new MemoryStream();
        var buffer = new byte[chunk];
        bufferedAfterFirst = false;
        int read;
        for (var first = true; (read = stream.Read(buffer)) > 0; first = false)
        {
            received.Write(buffer, 0, read);
            if (first)
                bufferedAfterFirst = ((CoalescingSocketStream)stream).HasBufferedInput;
        }
        return received.ToArray();
    }

    private static byte[] Bytes(int length, int seed = 0)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A socket stand-in that counts its calls: each read returns all it has, as a receive into a big buffer would.</summary>
    private sealed class CountingStream(byte[] incoming) : Stream
    {
        private int _offset;

        public int Reads { get; private set; }
        public int Writes { get; private set; }
        public MemoryStream Written { get; } = new();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            var taken = Math.Min(buffer.Length, incoming.Length - _offset);
            incoming.AsSpan(_offset, taken).CopyTo(buffer);
            _offset += taken;
            return taken;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Writes++;
            Written.Write(buffer);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
