using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Frames on a connection: a u32 big-endian length, then one <see cref="Envelope"/> of exactly
/// that many bytes. Reads never take a byte past the frame, because the memory connection's
/// socket goes to CRIU right after its handshake.
/// </summary>
internal static class FrameCodec
{
    /// <summary>The largest frame either side accepts once authenticated; bounds memory per message.</summary>
    public const int MaxFrameLength = 1 << 20;

    /// <summary>The largest frame accepted before authentication: hellos and proofs are tiny.</summary>
    public const int HandshakeMaxFrameLength = 1024;

    private const int LengthPrefixBytes = sizeof(uint);

    /// <summary>Writes one frame in a single write.</summary>
    public static async ValueTask WriteAsync(Stream stream, Envelope envelope, CancellationToken cancellationToken)
    {
        var length = envelope.CalculateSize();
        if (length > MaxFrameLength)
            throw new ArgumentException($"A {envelope.BodyCase} message of {length} bytes exceeds the frame limit of {MaxFrameLength} bytes.", nameof(envelope));
        var buffer = ArrayPool<byte>.Shared.Rent(LengthPrefixBytes + length);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)length);
            envelope.WriteTo(buffer.AsSpan(LengthPrefixBytes, length));
            await stream.WriteAsync(buffer.AsMemory(0, LengthPrefixBytes + length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads one frame; <see langword="null"/> when the peer closed the connection between frames.</summary>
    /// <exception cref="TransportProtocolException">A truncated, oversized, malformed or unknown frame.</exception>
    public static async ValueTask<Envelope?> ReadAsync(Stream stream, int maxFrameLength, CancellationToken cancellationToken)
    {
        var prefix = new byte[LengthPrefixBytes];
        var got = await stream.ReadAtLeastAsync(prefix, LengthPrefixBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0)
            return null;
        if (got < LengthPrefixBytes)
            throw new TransportProtocolException($"Truncated frame: the connection closed after {got} of the {LengthPrefixBytes} length bytes.");
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        if (length > (uint)maxFrameLength)
            throw new TransportProtocolException($"Oversized frame: {length} bytes announced, at most {maxFrameLength} allowed.");
        return await ReadPayloadAsync(stream, (int)length, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<Envelope> ReadPayloadAsync(Stream stream, int length, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var got = await stream.ReadAtLeastAsync(buffer.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (got < length)
                throw new TransportProtocolException($"Truncated frame: the connection closed after {got} of {length} announced bytes.");
            return Decode(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Envelope Decode(ReadOnlySpan<byte> payload)
    {
        Envelope envelope;
        try
        {
            envelope = Envelope.Parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new TransportProtocolException($"Malformed message of {payload.Length} bytes: {e.Message}", e);
        }
        return envelope.BodyCase != Envelope.BodyOneofCase.None
            ? envelope
            : throw new TransportProtocolException(payload.IsEmpty
                ? "Empty message: the frame holds no known message."
                : $"Unknown message: field {FirstFieldNumber(payload)} is not a message this side knows (a newer peer?).");
    }

    private static int FirstFieldNumber(ReadOnlySpan<byte> payload)
    {
        // Decoding succeeded, so the first byte starts a valid tag varint.
        uint tag = 0;
        for (var i = 0; i < payload.Length && i < 5; i++)
        {
            tag |= (uint)(payload[i] & 0x7f) << (7 * i);
            if ((payload[i] & 0x80) == 0)
                break;
        }
        return WireFormat.GetTagFieldNumber(tag);
    }
}
