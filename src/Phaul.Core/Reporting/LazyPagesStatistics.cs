namespace Phaul;

/// <summary>
/// What the destination saw of a post-copy restore: how long the restore took, when the last page arrived,
/// and what CRIU's lazy-pages daemon moved, from its log. CRIU writes the page counts only to its debug log
/// (log level 4, the default): at lower levels they are <see langword="null"/>.
/// </summary>
internal sealed record LazyPagesStatistics
{
    /// <summary>Pages the restored tree left to be fetched from the source (all processes).</summary>
    public ulong? PagesToFetch { get; init; }

    /// <summary>Pages that arrived (all processes).</summary>
    public ulong? PagesTransferred { get; init; }

    /// <summary>Page faults the daemon served: pages the tree touched before they had arrived, fetched on demand.</summary>
    public ulong? PagesOnDemand { get; init; }

    /// <summary>
    /// How long the destination's lazy restore took, from its request until CRIU resumed the tree (its
    /// post-resume notification).
    /// </summary>
    public TimeSpan? RestoreTime { get; init; }

    /// <summary>How long after the restored tree resumed its last page arrived, as the destination saw it.</summary>
    public TimeSpan? LastPageAfterResume { get; init; }

    /// <summary>Pages that arrived without being asked for: transferred minus on demand.</summary>
    public ulong? PagesInBackground =>
        PagesTransferred is { } transferred && PagesOnDemand is { } onDemand ? transferred - Math.Min(transferred, onDemand) : null;
}
