namespace Phaul.Containers;

/// <summary>How a <see cref="ContainerMigration"/> moves a container; every property has a default.</summary>
public sealed record ContainerMigrationOptions
{
    /// <summary>
    /// Copy the container's root file system into its bundle on the destination (Phaul.FileSystem's rsync through the
    /// session: all of it while the container runs, the changes while it is paused) instead of expecting it on storage
    /// both hosts share at the same path. The destination must allow copies into its bundles directory
    /// (<see cref="FileSystem.FileSystemDestinationOptions.AllowedRoots"/>). Default false.
    /// </summary>
    public bool CopyRootFileSystem { get; init; }

    /// <summary>
    /// How the container's memory moves: <see cref="MigrationStrategy.StopAndCopy"/> (the default: all of it while the
    /// container is paused); <see cref="MigrationStrategy.PostCopy"/> (the container is paused only while everything but
    /// its memory moves; it resumes on the destination and its memory follows from the paused copy here, on demand and in
    /// the background; should the memory then fail to arrive, the container is lost, see <see cref="ProcessLostException"/>);
    /// <see cref="MigrationStrategy.PreCopy"/> (<see cref="PreDumps"/> rounds of runc's pre-dump copy the memory while the
    /// container runs, then stop-and-copy moves what changed since); <see cref="MigrationStrategy.Hybrid"/> (the pre-dumps,
    /// then post-copy for what changed). Pre-dumps need the source kernel's dirty-memory tracking (soft-dirty bits): without
    /// it the migration fails before anything is done to the container. <see cref="MigrationStrategy.Auto"/> is refused:
    /// choose.
    /// </summary>
    public MigrationStrategy Strategy { get; init; } = MigrationStrategy.StopAndCopy;

    /// <summary>How many pre-dumps pre-copy and hybrid run before the final dump, 1 to 10; default 2.</summary>
    public int PreDumps { get; init; } = 2;

    /// <summary>The defaults: stop-and-copy, a shared root file system.</summary>
    public static ContainerMigrationOptions Default { get; } = new();
}
