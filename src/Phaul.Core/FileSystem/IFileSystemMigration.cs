namespace Phaul;

/// <summary>
/// Moves the files a process tree uses along with it, so that they are at the destination, complete,
/// when CRIU restores the tree there (CRIU reopens files by path and checks their sizes). A
/// <see cref="PhaulClient"/> given one in <see cref="PhaulClientOptions.FileSystem"/> calls these hooks,
/// in this order, and puts what each returns into <see cref="MigrationReport.FileSystem"/>.
/// </summary>
/// <remarks>
/// Implementations: <see cref="SharedFileSystem"/> (both hosts see the same storage: nothing to copy) and
/// <see cref="SubtreeFileSystem"/> (directory trees copied with rsync).
/// </remarks>
public interface IFileSystemMigration
{
    /// <summary>
    /// Before the first iteration, while the tree runs: prepares the destination and copies everything
    /// (the bulk). A failure fails the migration before the tree was touched.
    /// </summary>
    /// <param name="cancellationToken">Abandons the copy.</param>
    /// <returns>What was transferred.</returns>
    Task<FileSystemTransfer> CopyBeforeIterationsAsync(CancellationToken cancellationToken);

    /// <summary>After each pre-dump iteration, while the tree runs: copies what changed since the last copy.</summary>
    /// <param name="iteration">The pre-dump iteration that just ended.</param>
    /// <param name="cancellationToken">Abandons the copy.</param>
    /// <returns>What was transferred.</returns>
    Task<FileSystemTransfer> CopyAfterPreDumpAsync(int iteration, CancellationToken cancellationToken);

    /// <summary>
    /// During the final freeze, after CRIU dumped the frozen tree and before anything restores it: copies
    /// the last changes, so that nothing written before the freeze is lost. Throwing fails the dump, and
    /// CRIU resumes the tree on the source.
    /// </summary>
    /// <param name="cancellationToken">Abandons the copy (and so the dump).</param>
    /// <returns>What was transferred.</returns>
    Task<FileSystemTransfer> CopyFrozenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Once the migration is over. After a failure (<paramref name="migrated"/> false) nothing copied to the
    /// destination may be left half-done there, unless the caller asked to keep it.
    /// </summary>
    /// <param name="migrated">Whether the tree now runs on the destination.</param>
    /// <param name="cancellationToken">Abandons the clean-up.</param>
    Task CompleteAsync(bool migrated, CancellationToken cancellationToken);
}
