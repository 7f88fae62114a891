using System.Diagnostics;
using Phaul.Rpc;

namespace Phaul;

public sealed partial class PhaulClient
{
    private const string PreDumpLogFile = "pre-dump.log";

    /// <summary>Pre-dumps until the policy says stop; returns the last pre-dump's images directory.</summary>
    private async Task<string> PreCopyAsync(ICriu criu, MigrationRun run, CancellationToken cancellationToken)
    {
        while (true)
        {
            var iteration = run.Directories.Count;
            var startedAt = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            await InIterationAsync(run, iteration, MigrationStep.PreDump,
                                   () => PreDumpAsync(criu, run, iteration, cancellationToken), cancellationToken)
                .ConfigureAwait(false);

            run.Enter(MigrationStep.ReadStatistics, iteration);
            var entry = await _dependencies.Stats.ReadDumpStatsAsync(run.Directories.Last, cancellationToken)
                                                 .ConfigureAwait(false);
            var dump = run.OwnFigures(entry is null ? null : DumpStatistics.FromCriu(entry));
            run.RecordPreDump(iteration, startedAt, started, dump);
            _logger.PreDumpCompleted(iteration, dump?.PagesWritten, dump?.PagesSkippedParent, dump?.FrozenTime);
            Report(new(MigrationProgressKind.PreDumpCompleted) { Iteration = iteration, Dump = dump });
            await RunHooksAsync(run, MigrationHookPhase.AfterPreDump, iteration, hook => hook.AfterPreDumpAsync(iteration, cancellationToken))
                .ConfigureAwait(false);

            var stop = dump is null ? PreCopyStopReason.StatisticsUnavailable : _convergence.Evaluate(run.PreDumpStatistics);
            if (stop is { } reason)
            {
                run.StopReason = reason;
                _logger.PreCopyStopped(iteration, reason);
                Report(new(MigrationProgressKind.PreCopyStopped) { Iteration = iteration, StopReason = reason });
                return run.Directories.Last;
            }
        }
    }

    private void Report(MigrationProgress progress) => _options.Progress.ReportSafely(progress, _logger);

    private async Task PreDumpAsync(ICriu criu, MigrationRun run, int iteration, CancellationToken cancellationToken)
    {
        var directory = run.Directories.CreateNext();
        using var images = _dependencies.Directories.Open(directory);
        var opts = new CriuOpts
        {
            Pid = _config.Pid,
            ImagesDirFd = images.Fd,
            LogLevel = _options.CriuLogLevel,
            LogFile = PreDumpLogFile,
            Ps = new CriuPageServerInfo { Fd = _config.Memfd },
            TrackMem = true,
        };
        if (iteration > 0)
            opts.ParentImg = IterationDirectories.ParentOf(iteration);
        CriuOptionsTemplate.ApplyTo(opts, (_local as ICriuOptionsSource)?.CriuOptions);
        _options.ConfigurePreDump?.Invoke(opts);
        _logger.PreDumpStarting(iteration, _config.Pid, directory);
        Report(new(MigrationProgressKind.PreDumpStarting) { Iteration = iteration });
        await criu.PreDumpAsync(opts, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The final stage in an iteration of its own: dump, copy and restore, or for post-copy (and hybrid) the
    /// lazy variant in a lazy iteration, which ends when every page has arrived.
    /// </summary>
    private async Task FinalStageAsync(ICriu criu, MigrationRun run, string lastImagesDir, CancellationToken cancellationToken)
    {
        var iteration = run.Directories.Count;
        _logger.FinalStageStarting(iteration, _config.Pid, lastImagesDir);
        Report(new(MigrationProgressKind.FinalStageStarting) { Iteration = iteration, Strategy = run.Strategy });
        Func<CancellationToken, Task> start = StartPageServerIterationAsync;
        Func<Task> stage = () => _local.DumpCopyRestoreAsync(criu, _config, lastImagesDir, cancellationToken);
        if (StrategySelection.NeedsPostCopy(run.Strategy))
        {
            start = ((IPhaulPostCopyRemote)_remote).StartLazyIterAsync;
            stage = () => ((IPhaulPostCopyLocal)_local).DumpCopyRestoreLazilyAsync(criu, _config, lastImagesDir, cancellationToken);
        }
        await InIterationAsync(run, iteration, MigrationStep.DumpCopyRestore, async () =>
        {
            var started = Stopwatch.GetTimestamp();
            await stage().ConfigureAwait(false);
            run.RecordFinalStage(started, _local as IPhaulLocalOutcome);
        }, cancellationToken, start).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> between the destination's StartIter and StopIter. If the work fails,
    /// the iteration is still stopped, once, so the destination's page server does not outlive it.
    /// </summary>
    private async Task InIterationAsync(MigrationRun run, int iteration, MigrationStep step, Func<Task> work,
                                        CancellationToken cancellationToken, Func<CancellationToken, Task>? start = null)
    {
        run.Enter(MigrationStep.StartIteration, iteration);
        await (start ?? StartPageServerIterationAsync)(cancellationToken).ConfigureAwait(false);
        try
        {
            run.Enter(step, iteration);
            await work().ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            EndMemoryStream(iteration);
            await StopAbandonedIterationAsync(run, iteration, failure).ConfigureAwait(false);
            throw;
        }
        run.Enter(MigrationStep.StopIteration, iteration);
        // Once the final stage returned, the tree runs on the destination and cancelling cannot take that
        // back: ending its iteration is not cancellable (the destination bounds it), and the report comes.
        var stopToken = step == MigrationStep.DumpCopyRestore ? CancellationToken.None : cancellationToken;
        await _remote.StopIterAsync(stopToken).ConfigureAwait(false);
    }

    // The destination is told what the iteration writes, so that it can refuse before the freeze.
    private Task StartPageServerIterationAsync(CancellationToken cancellationToken) =>
        _remote.StartIterAsync(DumpSpace.EstimateBytes(_config.Pid), cancellationToken);

    // The source's CRIU failed or was killed, possibly before it sent anything: the destination's page
    // server would wait for pages until its exit timeout. The end of the stream ends it at once; the
    // stream is in an unknown state now anyway, so nothing can be sent over it any more.
    private void EndMemoryStream(int iteration)
    {
        try
        {
            _dependencies.MemorySocket.EndSending(_config.Memfd);
            _logger.MemoryStreamEnded(iteration, _config.Memfd);
        }
        catch (NativeCallException failure)
        {
            _logger.MemoryStreamNotEnded(iteration, _config.Memfd, failure);
        }
    }

    // Not cancellable: the caller's token may be what failed the iteration, and the page server must go.
    private async Task StopAbandonedIterationAsync(MigrationRun run, int iteration, Exception cause)
    {
        try
        {
            await _remote.StopIterAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception sameFailure) when (ReferenceEquals(sameFailure, cause))
        {
            // A lazy iteration reports the loss the final stage reported already.
        }
#pragma warning disable CA1031 // The first failure is the one to throw; this one is kept and logged.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            run.RecordCleanupFailure(failure);
            _logger.AbandonedIterationStopFailed(iteration, failure);
        }
    }
}
