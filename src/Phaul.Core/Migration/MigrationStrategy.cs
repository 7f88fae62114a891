namespace Phaul;

/// <summary>
/// How a migration moves the tree's memory: the strategy asked for (<see cref="PhaulClientOptions.Strategy"/>, where
/// <see cref="Auto"/> lets Phaul choose) and the one that ran (<see cref="MigrationReport.Strategy"/>, never <see cref="Auto"/>).
/// </summary>
public enum MigrationStrategy
{
    /// <summary>
    /// Of the strategies both ends support, the one predicted best from measurements taken before the freeze (the
    /// tree's memory, the link, the dirty rate): the shortest downtime, unless one within 10% of it has a shorter total
    /// time; with <see cref="PhaulClientOptions.DowntimeTarget"/>, the shortest total time among those predicted to meet
    /// it. Among equals a strategy without post-copy's risk (see <see cref="PostCopy"/>) wins. The report shows the
    /// measurements and predictions (<see cref="MigrationReport.Forecast"/>) and why better strategies could not run.
    /// When the tree's memory cannot be read, the first supported of <see cref="Hybrid"/>, <see cref="PostCopy"/>,
    /// <see cref="PreCopy"/>, <see cref="StopAndCopy"/>.
    /// </summary>
    Auto,

    /// <summary>
    /// Iterative pre-copy: pre-dumps copy the memory while the tree runs, until they converge; then a final
    /// dump sends what changed. Needs memory tracking in the source's kernel (soft-dirty bits).
    /// </summary>
    PreCopy,

    /// <summary>One dump of everything while the tree is frozen: the longest downtime, nothing to support.</summary>
    StopAndCopy,

    /// <summary>
    /// Post-copy: the tree is frozen only while everything but its memory is dumped and restored; it resumes
    /// on the destination, and its memory follows on demand and in the background (CRIU's lazy pages). Needs
    /// userfaultfd on the destination, the post-copy final stage on both ends, and (without CAP_SYS_RESOURCE)
    /// <c>fs.pipe-max-size</c> of at least 4 MiB on the source. Once the tree has resumed, a broken connection
    /// loses the process: its pages that had not arrived existed only on the source.
    /// </summary>
    PostCopy,

    /// <summary>
    /// Pre-copy while the pre-dumps converge, then post-copy for the rest: less memory left to follow after
    /// the resume than with plain post-copy. Needs what both need.
    /// </summary>
    Hybrid,
}
