using Phaul.DemoWorkload;

namespace Phaul.PreCopyLane;

/// <summary>What one scenario's migration produced, for the checks and the table.</summary>
/// <param name="Scenario">The scenario.</param>
/// <param name="SourcePid">The workload's root before the migration; 0 when it did not start.</param>
/// <param name="BeforeMigration">The workload's state before the migration; null when it did not start.</param>
internal sealed record ScenarioResult(LaneScenario Scenario, int SourcePid, WorkloadStatus? BeforeMigration)
{
    /// <summary>The migration's report; null when it failed.</summary>
    public MigrationReport? Report { get; init; }

    /// <summary>Why the scenario could not complete (migration failure, timeout, workload lost).</summary>
    public Exception? Failure { get; init; }

    /// <summary>The workload's state right after the migration returned.</summary>
    public WorkloadStatus? AfterMigration { get; init; }

    /// <summary>The first state the restored workload reported.</summary>
    public WorkloadStatus? Resumed { get; init; }

    /// <summary>The workload's state once it had verified all its memory again after the restore.</summary>
    public WorkloadStatus? AfterVerification { get; init; }

    /// <summary>Whether the restored root was a live process.</summary>
    public bool RestoredRunning { get; init; }

    /// <summary>Whether the source's root was gone after the migration.</summary>
    public bool SourceGone { get; init; }

    /// <summary>The scenario's wall time, workload start to the last check.</summary>
    public TimeSpan WallTime { get; init; }
}
