using System.Buffers;
using System.Security.Cryptography;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Streams the CRIU images (<c>*.img</c>) of a directory over the control connection: per file a
/// header, chunks, and the SHA-256 of what was sent, hashed while sending so each file is read once.
/// Logs and statistics stay behind: CRIU is still writing its log while the tree is frozen.
/// </summary>
internal static class ImageSender
{
    private const string ImagePattern = "*" + ImageFileName.Extension;

    /// <summary>Sends every image file of <paramref name="directory"/>.</summary>
    /// <returns>How many files and bytes were sent.</returns>
    public static Task<TransferTotals> SendDirectoryAsync(FrameChannel channel, string directory, int iteration,
                                                          CancellationToken cancellationToken) =>
        SendDirectoryAsync(channel, directory, ImagePattern, iteration, cancellationToken);

    /// <summary>Sends the image files of <paramref name="directory"/> whose names match <paramref name="pattern"/>.</summary>
    /// <returns>How many files and bytes were sent.</returns>
    public static async Task<TransferTotals> SendDirectoryAsync(FrameChannel channel, string directory, string pattern, int iteration,
                                                                CancellationToken cancellationToken)
    {
        var totals = new TransferTotals(0, 0);
        // Symlinks describe the sender's layout only.
        var files = new DirectoryInfo(directory).EnumerateFiles(pattern)
            .Where(f => (f.Attributes & FileAttributes.ReparsePoint) == 0)
            .OrderBy(f => f.Name, StringComparer.Ordinal);
        foreach (var file in files)
        {
            var bytes = await SendFileAsync(channel, file, iteration, cancellationToken).ConfigureAwait(false);
            totals = new TransferTotals(totals.Files + 1, totals.Bytes + bytes);
        }
        return totals;
    }

    private static async Task<long> SendFileAsync(FrameChannel channel, FileInfo file, int iteration, CancellationToken cancellationToken)
    {
        var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0,
                                    FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var _ = stream.ConfigureAwait(false);
        var size = stream.Length;
        var header = new FileHeader { Name = file.Name, Size = (ulong)size };
        await channel.SendAsync(new Envelope { FileHeader = header }, TransportPhase.ImageTransfer, cancellationToken, iteration).ConfigureAwait(false);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(TransportProtocol.FileChunkLength);
        try
        {
            for (var sent = 0L; sent < size;)
            {
                var want = (int)Math.Min(TransportProtocol.FileChunkLength, size - sent);
                var read = await stream.ReadAsync(buffer.AsMemory(0, want), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    throw new TransportException(channel.Self, TransportPhase.ImageTransfer,
                        $"image file '{file.Name}' shrank while being sent: {sent} of {size} bytes read", iteration);
                hash.AppendData(buffer, 0, read);
                var chunk = new FileChunk { Data = ByteString.CopyFrom(buffer, 0, read) };
                await channel.SendAsync(new Envelope { FileChunk = chunk }, TransportPhase.ImageTransfer, cancellationToken, iteration).ConfigureAwait(false);
                sent += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var end = new FileEnd { Sha256 = ByteString.CopyFrom(hash.GetHashAndReset()) };
        await channel.SendAsync(new Envelope { FileEnd = end }, TransportPhase.ImageTransfer, cancellationToken, iteration).ConfigureAwait(false);
        return size;
    }
}

/// <summary>How many files and bytes a transfer moved.</summary>
internal readonly record struct TransferTotals(int Files, long Bytes);
