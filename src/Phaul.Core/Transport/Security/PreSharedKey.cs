using System.Security.Cryptography;

namespace Phaul.Transport;

/// <summary>
/// The secret both ends of a migration hold. It never crosses the network: each end proves it
/// holds the key with an HMAC over fresh nonces. <see cref="ToString"/> does not reveal it.
/// </summary>
public sealed class PreSharedKey
{
    /// <summary>Length of a generated key, in bytes (256 bits).</summary>
    public const int GeneratedLength = 32;

    /// <summary>The shortest key accepted, in bytes (128 bits).</summary>
    public const int MinLength = 16;

    /// <summary>The longest key accepted, in bytes (one HMAC-SHA256 block).</summary>
    public const int MaxLength = 64;

    private readonly byte[] _key;

    private PreSharedKey(byte[] key) => _key = key;

    /// <summary>Creates a new random key of <see cref="GeneratedLength"/> bytes.</summary>
    public static PreSharedKey Generate() => new(RandomNumberGenerator.GetBytes(GeneratedLength));

    /// <summary>Wraps raw key bytes.</summary>
    /// <param name="key">Between <see cref="MinLength"/> and <see cref="MaxLength"/> bytes.</param>
    /// <exception cref="ArgumentException">The key is too short or too long.</exception>
    public static PreSharedKey FromBytes(ReadOnlySpan<byte> key) =>
        key.Length is >= MinLength and <= MaxLength
            ? new PreSharedKey(key.ToArray())
            : throw new ArgumentException($"A pre-shared key must be {MinLength} to {MaxLength} bytes; this one has {key.Length}.", nameof(key));

    /// <summary>Parses a key written as hexadecimal digits, ignoring surrounding white space.</summary>
    /// <param name="text">Hexadecimal text, e.g. a key file's content.</param>
    /// <exception cref="ArgumentException">The text is not hexadecimal or the key has a wrong length.</exception>
    public static PreSharedKey ParseHex(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.Trim();
        byte[] bytes;
        try
        {
            bytes = Convert.FromHexString(hex);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"A pre-shared key must be written as hexadecimal digits (an even number of 0-9, a-f); got {hex.Length} characters that are not.", nameof(text), e);
        }
        return FromBytes(bytes);
    }

    /// <summary>The key as lower-case hexadecimal digits, as a key file holds it.</summary>
    public string ToHex() => Convert.ToHexStringLower(_key);

    /// <summary>Describes the key without revealing it.</summary>
    public override string ToString() => $"PreSharedKey({_key.Length} bytes)";

    /// <summary>HMAC-SHA256 of <paramref name="data"/> under this key.</summary>
    internal byte[] Hmac(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data);
}
