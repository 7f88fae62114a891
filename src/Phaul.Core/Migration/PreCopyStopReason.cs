namespace Phaul;

/// <summary>Why a migration went to its final dump when it did.</summary>
public enum PreCopyStopReason
{
    /// <summary>The iteration limit (<see cref="PhaulClientOptions.MaxIterations"/>) was reached.</summary>
    MaxIterations,

    /// <summary>
    /// The last pre-dump wrote no more pages than <see cref="PhaulClientOptions.PagesWrittenFloor"/>:
    /// the tree changes so little that the final dump will be small.
    /// </summary>
    PagesWrittenFloor,

    /// <summary>
    /// The last pre-dump wrote more pages than the one before it by more than
    /// <see cref="PhaulClientOptions.MaxGrowth"/>: the tree dirties memory faster than it is copied.
    /// </summary>
    DirtyGrowth,

    /// <summary>
    /// The share of pages skipped because the previous iteration already had them reached
    /// <see cref="PhaulClientOptions.SkippedShareGoal"/>.
    /// </summary>
    SkippedShareGoal,

    /// <summary>
    /// The pages the final dump is expected to send fit in <see cref="PhaulClientOptions.DowntimeTarget"/>
    /// at the transfer rate measured so far.
    /// </summary>
    DowntimeTarget,

    /// <summary>CRIU left no dump statistics for the last pre-dump, so convergence could not be judged.</summary>
    StatisticsUnavailable,

    /// <summary>No pre-dump ran: pre-copy was wanted, but CRIU reported that the kernel does not track dirty memory.</summary>
    MemoryTrackingUnavailable,

    /// <summary>No pre-dump ran: the strategy asked for has none (stop-and-copy or post-copy).</summary>
    PreCopyDisabled,

    /// <summary>
    /// No pre-dump ran: auto could pre-copy, but predicted a strategy without pre-copy to do better
    /// (<see cref="MigrationReport.Forecast"/>).
    /// </summary>
    PreCopyNotPredictedBetter,
}
