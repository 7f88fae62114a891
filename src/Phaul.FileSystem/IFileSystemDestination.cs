namespace Phaul.FileSystem;

/// <summary>
/// The destination's end of a file-system migration as the source sees it: on this machine
/// (<see cref="FileSystemDestination"/>) or across the network transport (<see cref="FileSystemTransport.FileSystem"/>).
/// </summary>
public interface IFileSystemDestination
{
    /// <summary>
    /// Checks the plan and prepares for it: shared paths must exist; subtree targets must be allowed,
    /// absent or empty, and rsync must be installed. Throws <see cref="FileSystemMigrationException"/> naming
    /// the path or program at fault.
    /// </summary>
    /// <param name="plan">What the source will do.</param>
    /// <param name="cancellationToken">Abandons the check.</param>
    Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the destination's <c>rsync --server</c> for one copy, its stdin and stdout joined to
    /// <paramref name="stdio"/> (the source's rsync at the other end), and returns when it exited.
    /// The destination checks the arguments before running anything: a receiving rsync with Phaul's options, into a prepared path.
    /// </summary>
    /// <param name="serverArguments">The arguments the source's rsync asked for, from "rsync" on.</param>
    /// <param name="stdio">The source's rsync, as a stream.</param>
    /// <param name="cancellationToken">Kills the destination's rsync.</param>
    Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken);

    /// <summary>Ends the file-system migration: after a failure, removes what was copied unless the plan keeps it.</summary>
    /// <param name="migrated">Whether the tree now runs on the destination.</param>
    /// <param name="cancellationToken">Abandons the clean-up.</param>
    Task CompleteAsync(bool migrated, CancellationToken cancellationToken);
}
