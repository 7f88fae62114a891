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

    /// <summary>What the lazy-pages daemon moved, and when the last page arrived after the resume.</summary>
    public LazyPagesStatistics? Pages { get; init; }
}
