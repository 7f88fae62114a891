using System.Diagnostics;
using Phaul.Rpc;

namespace Phaul;

public sealed partial class PhaulClient
{
    private const string PreDumpLogFile = "pre-dump.log";

    private async Task ChooseStrategyAsync(ICriu criu, MigrationRun run, CancellationToken cancellationToken)
    {
        switch (_options.PreCopy)
        {
            case PreCopyMode.Never:
                (run.Strategy, run.StopReason) = (MigrationStrategy.StopAndCopy, PreCopyStopReason.PreCopyDisabled);
                break;
            case PreCopyMode.Always:
                run.Strategy = MigrationStrategy.PreCopy;
                break;
            default:
                run.Enter(MigrationStep.CheckMemoryTracking);
                var answer = await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true }, cancellationToken)
                                       .ConfigureAwait(false);
                if (answer.MemTrack)
                    run.Strategy = MigrationStrategy.PreCopy;
                else
                    (run.Strategy, run.StopReason) = (MigrationStrategy.StopAndCopy, PreCopyStopReason.MemoryTrackingUnavailable);
                break;
        }
        if (run.Strategy == MigrationStrategy.PreCopy)
            _logger.PreCopyChosen(_config.Pid, _options.PreCopy);
        else if (run.StopReason == PreCopyStopReason.MemoryTrackingUnavailable)
            _logger.NoMemoryTracking(_config.Pid);
        else
            _logger.PreCopyTurnedOff(_config.Pid);
    }

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

            var stop = dump is null ? PreCopyStopReason.StatisticsUnavailable : _options.Policy.Evaluate(run.PreDumpStatistics);
            if (stop is { } reason)
            {
                run.StopReason = reason;
                _logger.PreCopyStopped(iteration, reason);
                return run.Directories.Last;
            }
        }
    }

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
        _options.ConfigurePreDump?.Invoke(opts);
        _logger.PreDumpStarting(iteration, _config.Pid, directory);
        await criu.PreDumpAsync(opts, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task FinalStageAsync(ICriu criu, MigrationRun run, string lastImagesDir, CancellationToken cancellationToken)
    {
        var iteration = run.Directories.Count;
        _logger.FinalStageStarting(iteration, _config.Pid, lastImagesDir);
        await InIterationAsync(run, iteration, MigrationStep.DumpCopyRestore, async () =>
        {
            var started = Stopwatch.GetTimestamp();
            await _local.DumpCopyRestoreAsync(criu, _config, lastImagesDir, cancellationToken).ConfigureAwait(false);
            run.RecordFinalStage(started, _local as IPhaulLocalOutcome);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> between the destination's StartIter and StopIter. If the work fails,
    /// the iteration is still stopped, once, so the destination's page server does not outlive it.
    /// </summary>
    private async Task InIterationAsync(MigrationRun run, int iteration, MigrationStep step, Func<Task> work,
                                        CancellationToken cancellationToken)
    {
        run.Enter(MigrationStep.StartIteration, iteration);
        await _remote.StartIterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            run.Enter(step, iteration);
            await work().ConfigureAwait(false);
        }
        catch
        {
            EndMemoryStream(iteration);
            await StopAbandonedIterationAsync(run, iteration).ConfigureAwait(false);
            throw;
        }
        run.Enter(MigrationStep.StopIteration, iteration);
        await _remote.StopIterAsync(cancellationToken).ConfigureAwait(false);
    }

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
    private async Task StopAbandonedIterationAsync(MigrationRun run, int iteration)
    {
        try
        {
            await _remote.StopIterAsync(CancellationToken.None).ConfigureAwait(false);
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
