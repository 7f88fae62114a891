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

    /// <summary>
    /// Generates a new random key and writes it to a new key file: one line of hexadecimal digits, mode 0600, as
    /// <c>phaul keygen</c> writes it.
    /// </summary>
    /// <param name="path">The file to create; it must not exist, so an existing key is never overwritten.</param>
    /// <returns>The key written.</returns>
    /// <exception cref="IOException">The file exists, cannot be written, or cannot be made readable by its owner only.</exception>
    public static PreSharedKey GenerateFile(string path) => KeyFile.Generate(path);

    /// <summary>
    /// Reads a key file, refusing one that is a symbolic link, is not a regular file, is owned by another user, or
    /// that the group or others may access. The file is opened once; the checks and the read concern that open file.
    /// </summary>
    /// <param name="path">The key file.</param>
    /// <exception cref="ArgumentException">The file's content is not a valid key.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is a symbolic link, another user's, or accessible to the group or others.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">The file is not a regular file or cannot be read.</exception>
    public static PreSharedKey LoadFile(string path) => KeyFile.Load(path);

    /// <summary>The key as lower-case hexadecimal digits, as a key file holds it.</summary>
    public string ToHex() => Convert.ToHexStringLower(_key);

    /// <summary>Describes the key without revealing it.</summary>
    public override string ToString() => $"PreSharedKey({_key.Length} bytes)";

    /// <summary>HMAC-SHA256 of <paramref name="data"/> under this key.</summary>
    internal byte[] Hmac(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data);
}
