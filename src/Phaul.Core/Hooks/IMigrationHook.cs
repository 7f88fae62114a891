namespace Phaul;

/// <summary>
/// Work that must keep pace with a migration, such as moving the files a process tree uses (Phaul.FileSystem). A
/// <see cref="PhaulClient"/> given hooks in <see cref="PhaulClientOptions.Hooks"/> calls each of them, in the list's
/// order, at these points, and puts the figures each phase returns into <see cref="MigrationReport.Hooks"/>.
/// </summary>
public interface IMigrationHook
{
    /// <summary>Names the hook in the report and the logs (e.g. "files").</summary>
    string Name { get; }

    /// <summary>
    /// Before the first iteration, while the tree runs (e.g. the bulk of a copy). A failure fails the migration
    /// before the tree was touched.
    /// </summary>
    /// <param name="cancellationToken">Abandons the phase.</param>
    /// <returns>The phase's figures for the report (e.g. bytesSent); empty when there are none.</returns>
    Task<IReadOnlyDictionary<string, long>> BeforeIterationsAsync(CancellationToken cancellationToken);

    /// <summary>After each pre-dump iteration, while the tree runs (e.g. what changed since the last copy).</summary>
    /// <param name="iteration">The pre-dump iteration that just ended.</param>
    /// <param name="cancellationToken">Abandons the phase.</param>
    /// <returns>The phase's figures for the report; empty when there are none.</returns>
    Task<IReadOnlyDictionary<string, long>> AfterPreDumpAsync(int iteration, CancellationToken cancellationToken);

    /// <summary>
    /// During the final freeze, after CRIU dumped the frozen tree and before anything restores it: nothing the tree
    /// does can race it. Every second here is downtime. Throwing fails the dump, and CRIU resumes the tree on the source.
    /// </summary>
    /// <param name="cancellationToken">Abandons the phase (and so the dump).</param>
    /// <returns>The phase's figures for the report; empty when there are none.</returns>
    Task<IReadOnlyDictionary<string, long>> WhileFrozenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Once the migration is over, whatever happened to the other phases. A failure is logged, not thrown: the
    /// migration's outcome stands.
    /// </summary>
    /// <param name="migrated">Whether the tree now runs on the destination.</param>
    /// <param name="cancellationToken">Abandons the clean-up.</param>
    Task CompleteAsync(bool migrated, CancellationToken cancellationToken);
}
