using System.Diagnostics;
using System.Runtime.ExceptionServices;
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
        if (_state.Lazy)
            throw _channel.Failure(TransportPhase.Restore, "the source asked for a plain restore in a lazy iteration", OpenIteration);
        ThrowIfImagesDiffer(request.FileCount, request.TotalBytes);
        if (SourceCriuOptions(request.CriuOpts, out var refusal) is not { } criuOptions)
            return RestoreFailed(refusal);
        if (_state.OpenIteration is not { } iteration)
            return new RestoreResult { Error = "no iteration is running on the destination, so there are no images to restore from" };

        var stopError = await StopOpenIterationAsync(cancellationToken).ConfigureAwait(false);
        _state = _state.StoppedByRestore(iteration, stopError);
        if (stopError.Length > 0)
            return RestoreFailed($"the page server of iteration {iteration} failed, so the pages are incomplete: {stopError}");
        return await RestoreFromAsync(_target.LastImagesDir, iteration, criuOptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The CRIU options the source sent for the restore, if all of them are on the allow-list; else null and why.</summary>
    private CriuOpts? SourceCriuOptions(Google.Protobuf.ByteString wire, out string refusal)
    {
        var accepted = RestoreOptionsWire.Accept(wire, out refusal);
        if (accepted is not null)
            _logger.RestoreOptionsAccepted(_id, RestoreOptionsWire.Describe(accepted));
        return accepted;
    }

    /// <summary>
    /// The restore's options: Phaul's own (with the images directory unless CRIU gets it otherwise, as the lazy restore does),
    /// then the source's, then the destination's <c>ConfigureRestore</c>, which sees all of them.
    /// </summary>
    private CriuOpts RestoreOptions(CriuOpts fromSource, int? imagesDirFd = null)
    {
        var opts = new CriuOpts { LogFile = RestoreLogName, LogLevel = 4 };
        if (imagesDirFd is { } fd)
            opts.ImagesDirFd = fd;
        CriuOptionsTemplate.ApplyTo(opts, fromSource);
        _options.ConfigureRestore?.Invoke(opts);
        return opts;
    }

    private void ThrowIfRestoredBefore()
    {
        if (!_state.BeforeRestore)
            throw _channel.Failure(TransportPhase.Restore, "the source asked for a second restore");
    }

    private void ThrowIfImagesDiffer(uint fileCount, ulong totalBytes)
    {
        if (fileCount != _receiver.Files || totalBytes != (ulong)_receiver.Bytes)
            throw _channel.Failure(TransportPhase.ImageTransfer,
                $"the source sent {fileCount} image files ({totalBytes} bytes), the destination received {_receiver.Files} ({_receiver.Bytes} bytes)",
                OpenIteration);
    }

    /// <summary>
    /// Restores through the hand-over gate: the tree runs only after the source's commit. A failed restore becomes the
    /// result's error (the source continues its copy); a failed hand-over ends the session (the source gave up, went
    /// away or broke the exchange) with the held copy killed by CRIU.
    /// </summary>
    private async Task<RestoreResult> RestoreFromAsync(string directory, int iteration, CriuOpts criuOptions, CancellationToken cancellationToken)
    {
        _logger.Restoring(_id, directory, _receiver.Files, _receiver.Bytes);
        var elapsed = Stopwatch.StartNew();
        var handOver = new HandOverGate(this, iteration, cancellationToken);
        using var watch = new RestoreWatch(handOver.HoldAsync);
        try
        {
            using var images = ImagesDirectory.Open(directory);
            var opts = RestoreOptions(criuOptions, images.Fd);
            var pid = await _target.Criu.RestoreAsync(opts, watch, cancellationToken).ConfigureAwait(false);
            if (!handOver.Committed)
                throw new CriuProtocolException(CriuReqType.Restore, "CRIU resumed the restored tree without its post-restore notification");
            _state = _state.Restored(pid);
            _handOver.Resumed();
            _logger.Restored(_id, pid, elapsed.ElapsedMilliseconds);
            await _options.HandOverHooks.ReachedAsync(HandOverStep.Resumed).ConfigureAwait(false);
        }
        catch (Exception) when (handOver.Failure is { } abandoned)
        {
            KillHeldCopy(watch);
            ExceptionDispatchInfo.Throw(abandoned);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _handOver.Abandon();
            KillHeldCopy(watch);
            return RestoreFailed($"the destination's restore failed (its paths are on the destination): {e.Message}");
        }
        var stats = await ReadStatsAsync(directory, cancellationToken).ConfigureAwait(false);
        return new RestoreResult { Pid = RestoredPid!.Value, RestoreStats = stats };
    }

    /// <summary>Remembers and logs a failed restore; the result tells the source, which resumes its tree.</summary>
    private RestoreResult RestoreFailed(string error)
    {
        _state = _state.RestoreFailed(error);
        _logger.RestoreFailed(_id, error);
        return new RestoreResult { Error = error };
    }

    // CRIU kills a tree whose restore failed; a CRIU that died (killed) leaves its half-restored children behind.
    private void KillHeldCopy(RestoreWatch watch)
    {
        if (watch.KillRestoredRoot() is { } root)
            _logger.HeldCopyKilled(_id, root);
    }

    /// <summary>The destination's half of the hand-over, run inside CRIU's post-restore notification.</summary>
    private sealed class HandOverGate(DestinationSession session, int? iteration, CancellationToken cancellationToken)
    {
        /// <summary>Whether the source's commit came and the tree was let run.</summary>
        public bool Committed { get; private set; }

        /// <summary>Why the tree was not let run: the source aborted, went away, or broke the exchange.</summary>
        public Exception? Failure { get; private set; }

        public async Task HoldAsync(int pid)
        {
            var channel = session._channel;
            try
            {
                session._handOver.Hold();
                await channel.SendAsync(new Envelope { RestorePrepared = new RestorePrepared { Pid = pid } }, TransportPhase.HandOver,
                                        cancellationToken, iteration).ConfigureAwait(false);
                session._logger.HoldingRestoredTree(session._id, pid);
                await session._options.HandOverHooks.ReachedAsync(HandOverStep.Holding).ConfigureAwait(false);
                var verdict = await channel.ReceiveAnyAsync(TransportPhase.HandOver, session._options.Timeouts.HandOver, cancellationToken,
                                                            iteration).ConfigureAwait(false);
                if (verdict.BodyCase == Envelope.BodyOneofCase.Abort)
                    throw channel.Aborted(verdict.Abort, TransportPhase.HandOver, iteration);
                if (verdict.BodyCase != Envelope.BodyOneofCase.HandOverCommit)
                    throw channel.Unexpected(verdict, "HandOverCommit or Abort", TransportPhase.HandOver, iteration);
                await session._options.HandOverHooks.ReachedAsync(HandOverStep.CommitReceived).ConfigureAwait(false);
                if (!session._handOver.TryCommit(pid))
                    throw channel.Failure(TransportPhase.HandOver, "the source asked how the hand-over ended before its commit came, and was told the copy would not run", iteration);
                session._logger.HandOverCommitted(session._id, pid);
                Committed = true;
            }
            catch (Exception e)
            {
                session._handOver.Abandon();
                Failure = e;
                session._logger.HandOverAbandoned(session._id, pid, e.Message);
                throw;
            }
        }
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
