namespace Phaul;

/// <summary>
/// One step of a running migration, for a progress display: given to <see cref="PhaulClientOptions.Progress"/> by the
/// loop, and by Phaul's final stages (<see cref="InProcessLocal"/>, the network transport's) to the sink they were given.
/// Which properties are set depends on <see cref="Kind"/>; the rest are null.
/// </summary>
public sealed record MigrationProgress(MigrationProgressKind Kind)
{
    /// <summary>The iteration (images directory index) the event belongs to.</summary>
    public int? Iteration { get; init; }

    /// <summary>The strategy chosen, or running.</summary>
    public MigrationStrategy? Strategy { get; init; }

    /// <summary>A pre-dump's CRIU statistics.</summary>
    public DumpStatistics? Dump { get; init; }

    /// <summary>Why pre-copy stopped.</summary>
    public PreCopyStopReason? StopReason { get; init; }

    /// <summary>A process id: the restored tree's root on the destination.</summary>
    public int? Pid { get; init; }

    /// <summary>Image files sent.</summary>
    public int? Files { get; init; }

    /// <summary>Bytes sent.</summary>
    public long? Bytes { get; init; }

    /// <summary>Pages that followed a post-copy's resumed tree.</summary>
    public ulong? Pages { get; init; }

    /// <summary>Of <see cref="Pages"/>, those the tree touched before they had arrived.</summary>
    public ulong? PagesOnDemand { get; init; }

    /// <summary>A hook's phase, with its figures, as the report will have it.</summary>
    public MigrationHookReport? Hook { get; init; }

    /// <summary>Why: a fallback's reason, the cause of a resume on the source, a loss.</summary>
    public string? Detail { get; init; }
}
