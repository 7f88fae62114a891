using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The proofs of the mutual challenge-response: HMAC-SHA256 under the pre-shared key over both
/// fresh nonces, the protocol version, the channel, the session id and the TLS channel binding.
/// Each side's proof has its own label, so a proof can neither be reflected back nor replayed
/// against a fresh nonce, nor passed through a relay that runs its own TLS with each end.
/// </summary>
internal static class AuthProof
{
    private static readonly byte[] DestinationLabel = Encoding.ASCII.GetBytes("phaul-transport destination proof");
    private static readonly byte[] SourceLabel = Encoding.ASCII.GetBytes("phaul-transport source proof");

    /// <summary>What the destination sends to prove it holds the key.</summary>
    public static byte[] ForDestination(PreSharedKey key, in AuthTranscript transcript) =>
        key.Hmac(Encode(DestinationLabel, transcript));

    /// <summary>What the source sends to prove it holds the key.</summary>
    public static byte[] ForSource(PreSharedKey key, in AuthTranscript transcript) =>
        key.Hmac(Encode(SourceLabel, transcript));

    /// <summary>Compares a received proof with the expected one in constant time.</summary>
    public static bool Matches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        CryptographicOperations.FixedTimeEquals(expected, received);

    private static byte[] Encode(byte[] label, in AuthTranscript transcript)
    {
        // Every variable-length part is length-prefixed, so no two transcripts encode alike.
        using var buffer = new MemoryStream();
        Write(buffer, label);
        Span<byte> fixedPart = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(fixedPart, transcript.ProtocolVersion);
        BinaryPrimitives.WriteInt32BigEndian(fixedPart[4..], (int)transcript.Channel);
        buffer.Write(fixedPart);
        Write(buffer, transcript.SessionId);
        Write(buffer, transcript.ClientNonce);
        Write(buffer, transcript.ServerNonce);
        Write(buffer, transcript.ChannelBinding);
        return buffer.ToArray();
    }

    private static void Write(MemoryStream buffer, ReadOnlySpan<byte> part)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
        buffer.Write(length);
        buffer.Write(part);
    }
}

/// <summary>What both proofs of one handshake cover; <c>ChannelBinding</c> is empty on an unencrypted connection.</summary>
internal readonly record struct AuthTranscript(
    uint ProtocolVersion, Channel Channel, byte[] SessionId, byte[] ClientNonce, byte[] ServerNonce, byte[] ChannelBinding);
