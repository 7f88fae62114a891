using System.Buffers.Binary;
using Google.Protobuf;

namespace Phaul;

/// <summary>
/// Writes CRIU's image format (magic header, then length-prefixed protobuf entries), the inverse of
/// <see cref="CriuImageReader"/>: for tests and for fakes that stand in for CRIU.
/// </summary>
internal static class CriuImageWriter
{
    /// <summary>Writes the header CRIU puts before an image with magic <paramref name="imageMagic"/>.</summary>
    public static async Task WriteHeaderAsync(Stream stream, uint imageMagic, CancellationToken cancellationToken = default)
    {
        if (CriuImageMagic.LeadingMagicFor(imageMagic) is { } leading)
            await WriteWordAsync(stream, leading, cancellationToken).ConfigureAwait(false);
        await WriteWordAsync(stream, imageMagic, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes one entry: its length, then its protobuf bytes.</summary>
    public static async Task WriteEntryAsync(Stream stream, IMessage entry, CancellationToken cancellationToken = default)
    {
        var payload = entry.ToByteArray();
        await WriteWordAsync(stream, (uint)payload.Length, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a whole image: header and entries.</summary>
    public static async Task WriteAsync(Stream stream, uint imageMagic, IEnumerable<IMessage> entries,
                                        CancellationToken cancellationToken = default)
    {
        await WriteHeaderAsync(stream, imageMagic, cancellationToken).ConfigureAwait(false);
        foreach (var entry in entries)
            await WriteEntryAsync(stream, entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates (or replaces) an image file.</summary>
    public static async Task WriteFileAsync(string path, uint imageMagic, IEnumerable<IMessage> entries,
                                            CancellationToken cancellationToken = default)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 4096,
                                    FileOptions.Asynchronous);
        await using (stream.ConfigureAwait(false))
            await WriteAsync(stream, imageMagic, entries, cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteWordAsync(Stream stream, uint value, CancellationToken cancellationToken)
    {
        var word = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(word, value);
        await stream.WriteAsync(word, cancellationToken).ConfigureAwait(false);
    }
}
