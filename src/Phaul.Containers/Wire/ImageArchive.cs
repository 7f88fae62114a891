using System.Buffers.Binary;
using System.Text;

namespace Phaul.Containers;

/// <summary>
/// The files of a checkpoint's image directory as one stream: per file its name's length (2 bytes), its name, its size
/// (8 bytes) and its bytes; a name of length 0 ends it. The receiver takes plain file names only, so a peer cannot write
/// outside the directory it was given.
/// </summary>
internal static class ImageArchive
{
    private const int MaxNameLength = 255;
    private const int MaxFiles = 100_000;
    private const int CopyBufferLength = 1 << 20;

    /// <summary>What went across.</summary>
    public sealed record Totals(int Files, long Bytes);

    /// <summary>Sends every regular file of <paramref name="directory"/>, then the end.</summary>
    public static async Task<Totals> SendAsync(Stream stream, string directory, CancellationToken cancellationToken)
    {
        var files = new DirectoryInfo(directory).EnumerateFiles()
            .Where(file => (file.Attributes & FileAttributes.ReparsePoint) == 0)
            .OrderBy(file => file.Name, StringComparer.Ordinal);
        var totals = new Totals(0, 0);
        var header = new byte[2 + MaxNameLength * 4 + 8];
        foreach (var file in files)
        {
            var source = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await using (source.ConfigureAwait(false))
            {
                var nameLength = Encoding.UTF8.GetBytes(file.Name, header.AsSpan(2));
                BinaryPrimitives.WriteUInt16LittleEndian(header, (ushort)nameLength);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(2 + nameLength), source.Length);
                await stream.WriteAsync(header.AsMemory(0, 2 + nameLength + 8), cancellationToken).ConfigureAwait(false);
                var copied = await CopyExactlyAsync(source, stream, source.Length, cancellationToken).ConfigureAwait(false);
                if (copied != source.Length)
                    throw new IOException($"image file {file.FullName} shrank while being sent: {copied} of {source.Length} bytes");
                totals = new Totals(totals.Files + 1, totals.Bytes + copied);
            }
        }
        await stream.WriteAsync(new byte[2], cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        return totals;
    }

    /// <summary>Receives files into the empty directory <paramref name="directory"/> until the end.</summary>
    /// <exception cref="InvalidDataException">The stream broke the format: a name that is not a plain file name, a repeated or
    /// truncated file, too many files.</exception>
    public static async Task<Totals> ReceiveAsync(Stream stream, string directory, CancellationToken cancellationToken)
    {
        var totals = new Totals(0, 0);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var lengthBytes = new byte[8];
        while (true)
        {
            await ReadExactlyAsync(stream, lengthBytes.AsMemory(0, 2), "a file name's length", cancellationToken).ConfigureAwait(false);
            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(lengthBytes);
            if (nameLength == 0)
                return totals;
            if (nameLength > MaxNameLength * 4 || names.Count >= MaxFiles)
                throw new InvalidDataException(nameLength > MaxNameLength * 4 ? $"a file name of {nameLength} bytes" : $"more than {MaxFiles} files");
            var nameBytes = new byte[nameLength];
            await ReadExactlyAsync(stream, nameBytes, "a file name", cancellationToken).ConfigureAwait(false);
            var name = CheckedName(Encoding.UTF8.GetString(nameBytes), names);
            await ReadExactlyAsync(stream, lengthBytes, $"the size of {name}", cancellationToken).ConfigureAwait(false);
            var size = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
            if (size < 0)
                throw new InvalidDataException($"{name}: a size of {size} bytes");
            var target = new FileStream(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
            await using (target.ConfigureAwait(false))
            {
                if (await CopyExactlyAsync(stream, target, size, cancellationToken).ConfigureAwait(false) != size)
                    throw new InvalidDataException($"{name}: the stream ended inside the file");
            }
            totals = new Totals(totals.Files + 1, totals.Bytes + size);
        }
    }

    private static string CheckedName(string name, HashSet<string> names)
    {
        if (name is "." or ".." || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            throw new InvalidDataException($"'{name}' is not a plain file name");
        if (!names.Add(name))
            throw new InvalidDataException($"the file '{name}' came twice");
        return name;
    }

    private static async Task<long> CopyExactlyAsync(Stream from, Stream to, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(CopyBufferLength, Math.Max(count, 1))];
        long copied = 0;
        while (copied < count)
        {
            var read = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count - copied)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            copied += read;
        }
        return copied;
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, string what, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"the stream ended before {what}", e);
        }
    }
}
