namespace Phaul;

/// <summary>
/// The phases of a post-copy final stage that matter for downtime, and how the memory followed. Times
/// are Phaul's clock; where CRIU's statistics place the freeze on it, the downtime is known from freeze
/// to resume, else only its phases after the images were written.
/// </summary>
public sealed record PostCopyReport
{
    /// <summary>
    /// From the moment CRIU began freezing the tree on the source until it ran on the destination: the
    /// downtime, as measured outside the tree. <see langword="null"/> without CRIU's dump statistics.
    /// </summary>
    public TimeSpan? FreezeToResume { get; init; }

    /// <summary>From the freeze until the dump's images were written (CRIU's post-dump notification); <see langword="null"/> without statistics.</summary>
    public TimeSpan? FreezeToImagesWritten { get; init; }

    /// <summary>From the post-dump notification until the images were on the destination and its lazy-pages daemon listened.</summary>
    public TimeSpan ImagesToDaemonReady { get; init; }

    /// <summary>The restore on the destination, until the tree resumed.</summary>
    public TimeSpan Restore { get; init; }

    // The page counts come from CRIU's lazy-pages daemon log, which has them only at log level 4 (Phaul's default).

    /// <summary>Pages the restored tree left to be fetched from the source (all processes); <see langword="null"/> when CRIU did not log them.</summary>
    public ulong? PagesToFetch { get; init; }

    /// <summary>Pages that arrived (all processes); <see langword="null"/> when CRIU did not log them.</summary>
    public ulong? PagesTransferred { get; init; }

    /// <summary>
    /// Page faults the destination's daemon served: pages the tree touched before they had arrived, fetched on demand;
    /// <see langword="null"/> when CRIU did not log them.
    /// </summary>
    public ulong? PagesOnDemand { get; init; }

    /// <summary>Pages that arrived without being asked for: transferred minus on demand.</summary>
    public ulong? PagesInBackground =>
        PagesTransferred is { } transferred && PagesOnDemand is { } onDemand ? transferred - Math.Min(transferred, onDemand) : null;

    /// <summary>How long after the restored tree resumed its last page arrived, as the destination saw it.</summary>
    public TimeSpan? LastPageAfterResume { get; init; }
}
