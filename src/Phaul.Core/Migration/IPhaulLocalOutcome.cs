namespace Phaul;

/// <summary>
/// An <see cref="IPhaulLocal"/> that can tell the <see cref="MigrationReport"/> what its final stage did.
/// The migration reads these properties after <see cref="IPhaulLocal.DumpCopyRestoreAsync"/> returned.
/// </summary>
public interface IPhaulLocalOutcome
{
    /// <summary>
    /// CRIU's statistics of the final dump as CRIU wrote them, when known (after pre-dumps on the same session
    /// these are sums over the whole chain; <see cref="MigrationReport.FinalDump"/> has the final dump's own figures).
    /// </summary>
    DumpStatistics? FinalDump { get; }

    /// <summary>CRIU's statistics of the restore on the destination, when known.</summary>
    RestoreStatistics? Restore { get; }

    /// <summary>The restored tree's root pid on the destination, when known.</summary>
    int? RestoredPid { get; }

    /// <summary>The phases and page transfer of a post-copy final stage; <see langword="null"/> for the others or when unknown.</summary>
    PostCopyReport? PostCopy => null;

    /// <summary>Where the downtime of a final stage that restores from complete images went; <see langword="null"/> for post-copy or when unknown.</summary>
    FreezeReport? Freeze => null;
}
