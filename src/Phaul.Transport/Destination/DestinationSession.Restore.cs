using System.Diagnostics;
using Google.Protobuf;
using Phaul.Rpc;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

internal sealed partial class DestinationSession
{
    /// <summary>CRIU's log of the restore, in the restored iteration's directory.</summary>
    public const string RestoreLogName = "restore.log";

    /// <summary>
    /// Ends the final iteration (its page server must have written every page), then restores
    /// from its directory. Failures become the result's error, so the source resumes its tree.
    /// </summary>
    private async Task<RestoreResult> RestoreAsync(RestoreRequest request, CancellationToken cancellationToken)
    {
        ThrowIfRestoredBefore();
        if (_lazyIteration)
            throw _channel.Failure(TransportPhase.Restore, "the source asked for a plain restore in a lazy iteration", _openIteration);
        ThrowIfImagesDiffer(request.FileCount, request.TotalBytes);
        if (_openIteration is not { } iteration)
            return new RestoreResult { Error = "no iteration is running on the destination, so there are no images to restore from" };

        var stopError = await StopOpenIterationAsync(cancellationToken).ConfigureAwait(false);
        _stoppedByRestore = (iteration, stopError);
        if (stopError.Length > 0)
            return new RestoreResult { Error = $"the page server of iteration {iteration} failed, so the pages are incomplete: {stopError}" };
        return await RestoreFromAsync(_target.LastImagesDir, cancellationToken).ConfigureAwait(false);
    }

    private void ThrowIfRestoredBefore()
    {
        if (RestoredPid is not null || _lostPid is not null)
            throw _channel.Failure(TransportPhase.Restore, "the source asked for a second restore");
    }

    private void ThrowIfImagesDiffer(uint fileCount, ulong totalBytes)
    {
        if (fileCount != _receiver.Files || totalBytes != (ulong)_receiver.Bytes)
            throw _channel.Failure(TransportPhase.ImageTransfer,
                $"the source sent {fileCount} image files ({totalBytes} bytes), the destination received {_receiver.Files} ({_receiver.Bytes} bytes)",
                _openIteration);
    }

    private async Task<RestoreResult> RestoreFromAsync(string directory, CancellationToken cancellationToken)
    {
        _logger.Restoring(_id, directory, _receiver.Files, _receiver.Bytes);
        var elapsed = Stopwatch.StartNew();
        try
        {
            using var images = ImagesDirectory.Open(directory);
            var opts = new CriuOpts { ImagesDirFd = images.Fd, LogFile = RestoreLogName, LogLevel = 4 };
            _options.ConfigureRestore?.Invoke(opts);
            var pid = await _target.Criu.RestoreAsync(opts, notify: null, cancellationToken).ConfigureAwait(false);
            RestoredPid = pid;
            _logger.Restored(_id, pid, elapsed.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.RestoreFailed(_id, e.Message);
            return new RestoreResult { Error = $"CRIU could not restore the tree on the destination: {e.Message}" };
        }
        var stats = await ReadStatsAsync(directory, cancellationToken).ConfigureAwait(false);
        return new RestoreResult { Pid = RestoredPid.Value, RestoreStats = stats };
    }

    // The tree runs here now: no failure here, not even cancellation, may turn the success into a
    // failure, because the source would then resume its copy of the tree as well.
    private async Task<ByteString> ReadStatsAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            var stats = await _services.ReadRestoreStats(directory, cancellationToken).ConfigureAwait(false);
            return stats.ToByteString();
        }
        catch (Exception e)
        {
            _logger.RestoreStatsUnreadable(_id, e.Message);
            return ByteString.Empty;
        }
    }
}
