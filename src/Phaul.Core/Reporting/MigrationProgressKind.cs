namespace Phaul;

/// <summary>What a <see cref="MigrationProgress"/> tells; the properties each kind fills are named on it.</summary>
public enum MigrationProgressKind
{
    /// <summary>The strategy is chosen: <see cref="MigrationProgress.Strategy"/>, and <see cref="MigrationProgress.Detail"/> when it fell back.</summary>
    StrategyChosen,

    /// <summary>A pre-dump starts; the tree keeps running: <see cref="MigrationProgress.Iteration"/>.</summary>
    PreDumpStarting,

    /// <summary>A pre-dump ended: <see cref="MigrationProgress.Iteration"/>, <see cref="MigrationProgress.Dump"/> (null without CRIU's statistics).</summary>
    PreDumpCompleted,

    /// <summary>Pre-copy stops: <see cref="MigrationProgress.Iteration"/>, <see cref="MigrationProgress.StopReason"/>.</summary>
    PreCopyStopped,

    /// <summary>A hook's phase ended (e.g. a copy of the tree's files): <see cref="MigrationProgress.Hook"/>.</summary>
    HookCompleted,

    /// <summary>
    /// The final stage starts: the tree is frozen until it runs on the destination. <see cref="MigrationProgress.Iteration"/>,
    /// <see cref="MigrationProgress.Strategy"/> (post-copy or hybrid: a lazy dump, the memory follows the resumed tree).
    /// </summary>
    FinalStageStarting,

    /// <summary>The frozen tree's images reached the destination, which restores it: <see cref="MigrationProgress.Files"/>, <see cref="MigrationProgress.Bytes"/>.</summary>
    ImagesSent,

    /// <summary>The tree runs on the destination: <see cref="MigrationProgress.Pid"/>, its pid there. With post-copy its memory still follows.</summary>
    Restored,

    /// <summary>Post-copy: every page reached the destination: <see cref="MigrationProgress.Pages"/>, <see cref="MigrationProgress.PagesOnDemand"/> (null when CRIU did not log them).</summary>
    AllPagesArrived,

    /// <summary>The final stage failed before the destination confirmed the restore: the tree runs on the source again. <see cref="MigrationProgress.Detail"/>: why.</summary>
    SourceResumed,

    /// <summary>Post-copy: the source's frozen copy was killed, as the tree runs on the destination. <see cref="MigrationProgress.Detail"/>: why.</summary>
    SourceKilled,

    /// <summary>
    /// Post-copy: the tree was lost after its resume on the destination (pages could not all arrive): it runs nowhere.
    /// <see cref="MigrationProgress.Pid"/> (on the destination, when known), <see cref="MigrationProgress.Detail"/>: why.
    /// </summary>
    ProcessLost,
}
