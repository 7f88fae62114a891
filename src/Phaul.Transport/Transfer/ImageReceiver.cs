using System.Security.Cryptography;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Receives image files into a directory: on the destination the source's images of one session,
/// on the source (hybrid) the destination's page maps of the pre-dumps. Checks each name and size
/// before writing a byte, and each file's size and SHA-256 on arrival. A file that fails a check is deleted.
/// </summary>
internal sealed class ImageReceiver
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly FrameChannel _channel;
    private readonly ImageTransferLimits _limits;
    private readonly TimeSpan _frameTimeout;

    public ImageReceiver(FrameChannel channel, ImageTransferLimits limits, TimeSpan frameTimeout)
    {
        _channel = channel;
        _limits = limits;
        _frameTimeout = frameTimeout;
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
        var path = Path.Combine(directory, header.Name);
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
        Files++;
        Bytes += (long)header.Size;
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
