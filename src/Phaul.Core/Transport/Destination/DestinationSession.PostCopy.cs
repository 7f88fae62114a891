using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Phaul.Rpc;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

// Post-copy: the lazy iteration's daemon, the lazy restore and the wait for every page. Once the tree
// resumed here it depends on the source: if the pages cannot all arrive (the daemon fails, its deadline
// passes, the source goes away), the PhaulServer kills the tree, and the session reports the loss.
internal sealed partial class DestinationSession
{
    private async Task<CheckPostCopyResult> CheckPostCopyAsync(CancellationToken cancellationToken)
    {
        try
        {
            var obstacle = await _target.WhyPostCopyUnavailableAsync(cancellationToken).ConfigureAwait(false);
            return WithMemory(new CheckPostCopyResult { Available = obstacle is null, Reason = obstacle ?? "" }, _target.ReadDestinationMemory());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.IterationRequestFailed(_id, "CheckPostCopy", OpenIteration ?? 0, e.Message);
            return new CheckPostCopyResult { Reason = $"the destination could not check its CRIU for lazy-pages support: {e.Message}" };
        }
    }

    // The source judges these against the tree it migrates: only it knows the tree's mappings.
    private static CheckPostCopyResult WithMemory(CheckPostCopyResult result, DestinationMemory? memory)
    {
        if (memory is null)
            return result;
        result.MemoryReported = true;
        result.OvercommitMemory = memory.OvercommitMemory;
        result.RamAndSwapBytes = (ulong)memory.RamAndSwapBytes;
        result.CommitLimitBytes = (ulong)memory.CommitLimitBytes;
        result.CommittedBytes = (ulong)memory.CommittedBytes;
        return result;
    }

    private async Task<LazyPagesResult> StartLazyPagesAsync(LazyPagesRequest request, CancellationToken cancellationToken)
    {
        var iteration = RunningLazyIteration(TransportPhase.PostCopyPages, "LazyPages");
        ThrowIfImagesDiffer(request.FileCount, request.TotalBytes);
        var error = await ErrorOfAsync(() => _target.StartLazyPagesAsync(cancellationToken), "LazyPages", iteration).ConfigureAwait(false);
        return new LazyPagesResult { Error = error };
    }

    private async Task<RestoreResult> RestoreLazilyAsync(LazyRestoreRequest request, CancellationToken cancellationToken)
    {
        var iteration = RunningLazyIteration(TransportPhase.Restore, "LazyRestore");
        ThrowIfRestoredBefore();
        if (SourceCriuOptions(request.CriuOpts, out var refusal) is not { } criuOptions)
            return RestoreFailed(refusal);
        var directory = _target.LastImagesDir;
        _logger.Restoring(_id, directory, _receiver.Files, _receiver.Bytes);
        var elapsed = Stopwatch.StartNew();
        var handOver = new HandOverGate(this, iteration, cancellationToken);
        try
        {
            var opts = RestoreOptions(criuOptions);
            var pid = await _target.RestoreLazilyAsync(opts, handOver.HoldAsync, cancellationToken).ConfigureAwait(false);
            if (!handOver.Committed)
                throw new CriuProtocolException(CriuReqType.Restore, "CRIU resumed the restored tree without its post-restore notification");
            _state = _state.Restored(pid);
            _handOver.Resumed();
            _logger.Restored(_id, pid, elapsed.ElapsedMilliseconds);
        }
        catch (Exception) when (handOver.Failure is { } abandoned)
        {
            ExceptionDispatchInfo.Throw(abandoned);
        }
        catch (ProcessLostException lost)
        {
            Lose(lost, iteration);
            return new RestoreResult { Error = lost.Message, LostPid = lost.RestoredPid ?? 0 };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return RestoreFailed($"the destination's lazy restore failed (its paths are on the destination): {e.Message}");
        }
        var stats = await ReadStatsAsync(directory, cancellationToken).ConfigureAwait(false);
        return new RestoreResult { Pid = RestoredPid!.Value, RestoreStats = stats };
    }

    private async Task<WaitPagesResult> WaitForPagesAsync(CancellationToken cancellationToken)
    {
        var iteration = RunningLazyIteration(TransportPhase.PostCopyPages, "WaitPages");
        if (_state.RestoredPid is not { } pid)
            throw _channel.Failure(TransportPhase.PostCopyPages, "the source waits for the pages of a tree that was not restored", iteration);
        try
        {
            var pages = await _target.WaitForLazyPagesAsync(cancellationToken).ConfigureAwait(false);
            _state = _state.PagesArrived();
            _logger.AllPagesArrived(_id, pid, pages.PagesTransferred, pages.PagesOnDemand);
            return new WaitPagesResult { Pages = LazyPagesWire.ToWire(pages) };
        }
        catch (ProcessLostException lost)
        {
            Lose(lost, iteration);
            return new WaitPagesResult { Error = lost.Message, LostPid = lost.RestoredPid ?? 0 };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.IterationRequestFailed(_id, "WaitPages", iteration, e.Message);
            return new WaitPagesResult { Error = e.Message };
        }
    }

    private void Lose(ProcessLostException lost, int iteration)
    {
        var pid = lost.RestoredPid ?? RestoredPid ?? 0;
        _state = _state.Lost(pid, lost.Reason);
        _logger.RestoredTreeLost(_id, iteration, pid, lost.Reason);
    }

    /// <summary>The running lazy iteration; a post-copy request outside one breaks the protocol.</summary>
    private int RunningLazyIteration(TransportPhase phase, string request)
    {
        return _state.OpenLazyIteration
               ?? throw _channel.Failure(phase, $"the source sent {request} while no lazy iteration is running", OpenIteration);
    }

    /// <summary>
    /// At the end of the session: the loss of the process, if it was lost; else null. A lazily restored tree whose
    /// source was not told that every page arrived is killed here, even if its pages did arrive meanwhile: the
    /// source then reports the process lost and kills its own copy, and both ends must agree. (Only an answer
    /// lost in flight, after the destination sent it, can still leave the two ends disagreeing.)
    /// </summary>
    private ProcessLostException? LossAtTheEnd(Exception? cause)
    {
        if (_state.TreeAwaitingPages is { } pid)
        {
            const string reason = "the session ended before the source learnt that every page had arrived";
            var killed = _target.KillRestoredTree(pid);
            _state = _state.Lost(pid, reason);
            _logger.RestoredTreeLost(_id, OpenIteration ?? 0, pid, $"{reason} ({killed} processes killed)");
        }
        return _state.Loss is { } loss ? new ProcessLostException(loss.Pid, loss.Reason, cause) : null;
    }

    private static string Describe(ProcessLostException lost) =>
        $"the process was lost: the restored tree (pid {lost.RestoredPid}) was killed because {lost.Reason}";
}
