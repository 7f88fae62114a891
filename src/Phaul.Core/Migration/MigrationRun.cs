using System.Diagnostics;

namespace Phaul;

/// <summary>
/// The state of one <see cref="PhaulClient.MigrateAsync"/> call: the step under way (for the error),
/// the iteration directories, and what the report will say.
/// </summary>
internal sealed class MigrationRun(PhaulConfig config)
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly List<IterationReport> _iterations = [];
    private bool _finalStageCompleted;
    private Exception? _cleanupFailure;
    private TimeSpan _finalStageDuration;
    private IPhaulLocalOutcome? _outcome;
    private DumpStatistics? _finalDump;
    private readonly List<MigrationHookReport> _hooks = [];
    private readonly MigrationTelemetry _telemetry = new(config.Pid);

    public IterationDirectories Directories { get; } = new(config.Wdir);

    public MigrationStep Step { get; private set; }

    public int? Iteration { get; private set; }

    public MigrationStrategy RequestedStrategy { get; set; }

    public MigrationStrategy Strategy { get; set; }

    public string? StrategyNote { get; set; }

    public PreCopyStopReason StopReason { get; set; }

    public MigrationForecast? Forecast { get; set; }

    /// <summary>
    /// Set when the dumps run as one CRIU pre-dump chain (a prepared <see cref="Criu"/> session), whose
    /// statistics files hold running sums; null when each dump's file holds its own figures.
    /// </summary>
    public DumpStatisticsChain? Chain { get; set; }

    /// <summary>Statistics of the pre-dumps so far, for the convergence policy.</summary>
    public List<DumpStatistics> PreDumpStatistics { get; } = [];

    /// <summary>Whether the final stage returned: the tree has left the source.</summary>
    public bool FinalStageCompleted => _finalStageCompleted;

    /// <summary>The final stage's CRIU when there are hooks, whose freeze phase may have failed the dump.</summary>
    public PostDumpHookCriu? FrozenHooks { get; set; }

    /// <summary>The hook whose freeze phase failed, if one did.</summary>
    public string? FrozenHookFailed { get; set; }

    /// <summary>
    /// Why a hook's freeze phase failed, if one did, said as the cause of the failed dump.
    /// </summary>
    public Exception? FrozenHookFailure => FrozenHooks?.Failure is { } failure
        ? new MigrationHookException(
            $"The hook '{FrozenHookFailed}' failed during the freeze, so the final dump failed and CRIU resumed the tree on the source: {failure.Message}", failure)
        : null;

    public void RecordHook(MigrationHookReport hook) => _hooks.Add(hook);

    public void Enter(MigrationStep step, int? iteration = null)
    {
        Step = step;
        Iteration = iteration;
        _telemetry.Enter(step, iteration);
    }

    public void RecordPreDump(int iteration, DateTimeOffset startedAt, long startTimestamp, DumpStatistics? dump)
    {
        _iterations.Add(new IterationReport
        {
            Index = iteration,
            ImagesDirectory = Directories.PathOf(iteration),
            StartedAt = startedAt,
            Duration = Stopwatch.GetElapsedTime(startTimestamp),
            Dump = dump,
        });
        if (dump is not null)
            PreDumpStatistics.Add(dump);
    }

    /// <summary>A dump's own statistics, from what CRIU wrote for it (see <see cref="Chain"/>).</summary>
    public DumpStatistics? OwnFigures(DumpStatistics? written) => Chain is null ? written : Chain.Next(written);

    public void RecordFinalStage(long startTimestamp, IPhaulLocalOutcome? outcome)
    {
        _finalStageCompleted = true;
        _finalStageDuration = Stopwatch.GetElapsedTime(startTimestamp);
        _outcome = outcome;
        _finalDump = OwnFigures(outcome?.FinalDump);
    }

    public void RecordCleanupFailure(Exception failure) => _cleanupFailure = failure;

    public MigrationException Fail(Exception cause)
    {
        var failure = new MigrationException(Step, Iteration, _finalStageCompleted, cause, _cleanupFailure);
        _telemetry.Failed(failure, Stopwatch.GetElapsedTime(_started));
        return failure;
    }

    public void Cancel() => _telemetry.Cancelled(Stopwatch.GetElapsedTime(_started));

    public MigrationReport Complete()
    {
        var report = Report();
        _telemetry.Completed(report);
        return report;
    }

    private MigrationReport Report() => new()
    {
        Pid = config.Pid,
        RequestedStrategy = RequestedStrategy,
        Strategy = Strategy,
        StrategyNote = StrategyNote,
        StopReason = StopReason,
        Forecast = Forecast,
        Iterations = [.. _iterations],
        FinalDump = _finalDump,
        Restore = _outcome?.Restore,
        RestoredPid = _outcome?.RestoredPid,
        PostCopy = StrategySelection.NeedsPostCopy(Strategy) ? _outcome?.PostCopy : null,
        Freeze = StrategySelection.NeedsPostCopy(Strategy) ? null : _outcome?.Freeze,
        FinalStageDuration = _finalStageDuration,
        Hooks = [.. _hooks],
        StartedAt = _startedAt,
        CompletedAt = DateTimeOffset.UtcNow,
        Duration = Stopwatch.GetElapsedTime(_started),
    };
}
