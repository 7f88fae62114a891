namespace Phaul.Transport;

/// <summary>
/// The byte stream TLS runs over. <see cref="System.Net.Security.SslStream"/> reads and writes one record (at most
/// 16 KiB) per call on its inner stream; where system calls are dear (in a paravirtualised guest, a relay spent most of
/// its time entering and leaving the kernel), that bounds an encrypted memory stream. This stream reads ahead, so one
/// receive carries many records, and, once <see cref="BatchWrites"/> is set, gathers records until <see cref="Flush"/>
/// so one send carries them all. Asynchronous writes (handshakes, frames, close_notify) are never held back.
/// </summary>
internal sealed class CoalescingSocketStream(Stream inner) : Stream
{
    private const int ReadAheadLength = 256 * 1024;
    private const int WriteBatchLength = 320 * 1024;

    private byte[]? _readAhead;
    private int _readOffset;
    private int _readCount;
    private byte[]? _writeBatch;
    private int _writeCount;

    /// <summary>Whether bytes already received wait here, so that a read will not block for them.</summary>
    public bool HasBufferedInput => _readCount > 0;

    /// <summary>
    /// Set by the one writer that flushes after each batch (a memory relay's sending thread): its synchronous writes
    /// are gathered until it flushes.
    /// </summary>
    public bool BatchWrites { get; set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_readCount == 0)
        {
            if (buffer.Length >= ReadAheadLength)
                return inner.Read(buffer);
            _readAhead ??= new byte[ReadAheadLength];
            _readOffset = 0;
            _readCount = inner.Read(_readAhead);
        }
        return TakeReadAhead(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readCount == 0)
        {
            if (buffer.Length >= ReadAheadLength)
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _readAhead ??= new byte[ReadAheadLength];
            _readOffset = 0;
            _readCount = await inner.ReadAsync(_readAhead, cancellationToken).ConfigureAwait(false);
        }
        return TakeReadAhead(buffer.Span);
    }

    private int TakeReadAhead(Span<byte> buffer)
    {
        var taken = Math.Min(buffer.Length, _readCount);
        _readAhead.AsSpan(_readOffset, taken).CopyTo(buffer);
        _readOffset += taken;
        _readCount -= taken;
        return taken;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!BatchWrites)
        {
            inner.Write(buffer);
            return;
        }
        if (_writeCount + buffer.Length > WriteBatchLength)
            SendBatch();
        if (buffer.Length >= WriteBatchLength)
        {
            inner.Write(buffer);
            return;
        }
        _writeBatch ??= new byte[WriteBatchLength];
        buffer.CopyTo(_writeBatch.AsSpan(_writeCount));
        _writeCount += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await SendBatchAsync(cancellationToken).ConfigureAwait(false);
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
        SendBatch();
        inner.Flush();
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendBatchAsync(cancellationToken).ConfigureAwait(false);
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void SendBatch()
    {
        if (_writeCount > 0)
            inner.Write(TakeBatch().Span);
    }

    private async ValueTask SendBatchAsync(CancellationToken cancellationToken)
    {
        if (_writeCount > 0)
            await inner.WriteAsync(TakeBatch(), cancellationToken).ConfigureAwait(false);
    }

    private ReadOnlyMemory<byte> TakeBatch()
    {
        var batch = _writeBatch.AsMemory(0, _writeCount);
        _writeCount = 0;
        return batch;
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
