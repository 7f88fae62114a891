using System.Security.Cryptography;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Receives image files into a directory: on the destination the source's images of one session,
/// on the source (hybrid) the destination's page maps of the pre-dumps. Checks each name and size
/// before writing a byte (against the limits of its session and of the space it shares with other
/// sessions), and each file's size and SHA-256 on arrival. A file that fails a check is deleted.
/// </summary>
internal sealed class ImageReceiver
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FrameChannel _channel;
    private readonly ImageTransferLimits _limits;
    private readonly TimeSpan _frameTimeout;
    private readonly SharedImageSpace _space;

    // What this receiver's files take of the shared space, until released.
    private long _held;

    /// <summary>A receiver with nothing received yet.</summary>
    /// <param name="channel">Where the files come from.</param>
    /// <param name="limits">Its bounds.</param>
    /// <param name="frameTimeout">How long to wait for each message of a file.</param>
    /// <param name="space">The space shared with the destination's other sessions; null for a space of its own.</param>
    public ImageReceiver(FrameChannel channel, ImageTransferLimits limits, TimeSpan frameTimeout, SharedImageSpace? space = null)
    {
        _channel = channel;
        _limits = limits;
        _frameTimeout = frameTimeout;
        _space = space ?? new SharedImageSpace();
    }

    /// <summary>Files received and checked so far (the limits count them all).</summary>
    public int Files { get; private set; }

    /// <summary>Bytes received and checked so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Receives the file <paramref name="header"/> announced into <paramref name="directory"/>.</summary>
    /// <exception cref="TransportException">The file was refused or failed a check.</exception>
    public async Task ReceiveAsync(FileHeader header, string directory, int? iteration, CancellationToken cancellationToken)
    {
        CheckAdmissible(header, iteration);
        var size = (long)header.Size;
        Reserve(header.Name, size, iteration);
        try
        {
            await WriteFileAsync(header, Path.Combine(directory, header.Name), iteration, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _space.Release(size);
            throw;
        }
        _held += size;
        Files++;
        Bytes += size;
    }

    /// <summary>Gives back the shared space its files took: their session ended, and they are removed or kept out of the count.</summary>
    public void ReleaseSpace()
    {
        _space.Release(_held);
        _held = 0;
    }

    private async Task WriteFileAsync(FileHeader header, string path, int? iteration, CancellationToken cancellationToken)
    {
        var file = Create(path, header.Name, iteration);
        try
        {
            await using (file.ConfigureAwait(false))
                await WriteCheckedAsync(header, file, iteration, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private void CheckAdmissible(FileHeader header, int? iteration)
    {
        if (!ImageFileName.IsValid(header.Name, out var problem))
            throw Refused(problem!, iteration);
        if (header.Size > (ulong)_limits.MaxFileBytes)
            throw Refused($"image file '{header.Name}' has {header.Size} bytes, more than the limit of {_limits.MaxFileBytes} bytes per file", iteration);
        if ((ulong)Bytes + header.Size > (ulong)_limits.MaxTotalBytes)
            throw Refused($"image file '{header.Name}' ({header.Size} bytes) would bring the session to {(ulong)Bytes + header.Size} bytes, more than the limit of {_limits.MaxTotalBytes}", iteration);
        if (Files >= _limits.MaxFiles)
            throw Refused($"image file '{header.Name}' would exceed the limit of {_limits.MaxFiles} files per session", iteration);
    }

    private void Reserve(string name, long size, int? iteration)
    {
        var limit = _limits.MaxTotalBytesAllSessions;
        if (!_space.TryReserve(size, limit, out var held))
            throw Refused($"image file '{name}' ({size} bytes) would bring the image files of all sessions here to {held + size} bytes, " +
                          $"more than the limit of {limit} bytes for all sessions together", iteration);
    }

    private FileStream Create(string path, string name, int? iteration)
    {
        var options = new FileStreamOptions
        {
            // Never overwrite: a name clash means the source sent a file twice or one the page server wrote.
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Options = FileOptions.Asynchronous,
            BufferSize = 0,
            UnixCreateMode = OwnerOnly,
        };
        try
        {
            return new FileStream(path, options);
        }
        catch (IOException e)
        {
            throw new TransportException(_channel.Self, TransportPhase.ImageTransfer,
                $"cannot create image file '{name}': {e.Message}", iteration, _channel.PeerEndPoint, e);
        }
    }

    private async Task WriteCheckedAsync(FileHeader header, FileStream file, int? iteration, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (var received = 0UL; received < header.Size;)
        {
            var chunk = (await ReceiveAsync(Envelope.BodyOneofCase.FileChunk, iteration, cancellationToken).ConfigureAwait(false)).FileChunk;
            // Each chunk restarts the wait for the next: only chunks that bring the end closer keep the transfer alive.
            if (chunk.Data.IsEmpty)
                throw Refused($"image file '{header.Name}' got an empty chunk after {received} of its {header.Size} bytes", iteration);
            if ((ulong)chunk.Data.Length > header.Size - received)
                throw Refused($"image file '{header.Name}' got more data than its announced {header.Size} bytes", iteration);
            hash.AppendData(chunk.Data.Span);
            await file.WriteAsync(chunk.Data.Memory, cancellationToken).ConfigureAwait(false);
            received += (ulong)chunk.Data.Length;
        }
        var end = (await ReceiveAsync(Envelope.BodyOneofCase.FileEnd, iteration, cancellationToken).ConfigureAwait(false)).FileEnd;
        var actual = hash.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(actual, end.Sha256.Span))
            throw Refused($"image file '{header.Name}' failed its SHA-256 check: the source sent {Convert.ToHexStringLower(end.Sha256.Span)}, " +
                          $"the destination received {Convert.ToHexStringLower(actual)}", iteration);
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<Envelope> ReceiveAsync(Envelope.BodyOneofCase expected, int? iteration, CancellationToken cancellationToken) =>
        _channel.ReceiveAsync(expected, TransportPhase.ImageTransfer, _frameTimeout, cancellationToken, iteration);

    private TransportException Refused(string reason, int? iteration) => _channel.Failure(TransportPhase.ImageTransfer, reason, iteration);
}
