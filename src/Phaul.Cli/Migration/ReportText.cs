namespace Phaul.Cli.Migration;

/// <summary>The report's words for the migration core's enums.</summary>
internal static class ReportText
{
    public static string Strategy(MigrationStrategy strategy) => strategy switch
    {
        MigrationStrategy.PreCopy => "pre-copy",
        MigrationStrategy.StopAndCopy => "stop-and-copy",
        MigrationStrategy.PostCopy => "post-copy",
        MigrationStrategy.Hybrid => "hybrid (pre-copy, then post-copy)",
        MigrationStrategy.Auto => "auto",
        _ => strategy.ToString(),
    };

    public static string StopReason(PreCopyStopReason reason) => reason switch
    {
        PreCopyStopReason.MaxIterations => "the iteration limit was reached",
        PreCopyStopReason.PagesWrittenFloor => "the last pre-dump sent few pages",
        PreCopyStopReason.DirtyGrowth => "the tree dirties memory faster than it is copied",
        PreCopyStopReason.SkippedShareGoal => "most pages were unchanged since the previous pre-dump",
        PreCopyStopReason.DowntimeTarget => "the rest fits in the downtime target",
        PreCopyStopReason.StatisticsUnavailable => "CRIU left no statistics to judge convergence",
        PreCopyStopReason.MemoryTrackingUnavailable => "the kernel does not track dirty memory (no soft-dirty bits), so no pre-dumps",
        PreCopyStopReason.PreCopyDisabled => "pre-copy was turned off",
        PreCopyStopReason.PreCopyNotPredictedBetter => "pre-copy was possible, but predicted to do worse",
        _ => reason.ToString(),
    };
}
