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

    /// <summary>The defaults: a shared root file system.</summary>
    public static ContainerMigrationOptions Default { get; } = new();
}
