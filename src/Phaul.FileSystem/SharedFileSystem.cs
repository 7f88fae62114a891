namespace Phaul.FileSystem;

/// <summary>
/// For files both hosts see at the same paths (NFS, a cluster filesystem, a shared block device): nothing
/// is copied; before the first iteration the destination checks that every path exists there, so a
/// missing mount fails the migration before the tree is touched, naming the path. Give it to
/// <see cref="PhaulClientOptions.Hooks"/>.
/// </summary>
public sealed class SharedFileSystem : IMigrationHook
{
    private readonly IFileSystemDestination _destination;
    private readonly IReadOnlyList<string> _paths;

    /// <summary>Creates the check.</summary>
    /// <param name="destination">The destination's end.</param>
    /// <param name="paths">Absolute paths that must exist on the destination.</param>
    /// <exception cref="ArgumentException">A path is not absolute; the message names it.</exception>
    public SharedFileSystem(IFileSystemDestination destination, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
            throw new ArgumentException("SharedFileSystem needs at least one path to check.", nameof(paths));
        if (paths.FirstOrDefault(path => RsyncServerArguments.Normalize(path) is null) is { } bad)
            throw new ArgumentException($"SharedFileSystem: '{bad}' is not an absolute, canonical path.", nameof(paths));
        _destination = destination;
        _paths = paths;
    }

    /// <inheritdoc/>
    public string Name => SubtreeFileSystem.HookName;

    /// <summary>Has the destination check that every path exists there.</summary>
    /// <param name="cancellationToken">Abandons the check.</param>
    /// <returns>The figures of a copy that moved nothing.</returns>
    /// <exception cref="FileSystemMigrationException">A path is missing on the destination; the message names it.</exception>
    public async Task<IReadOnlyDictionary<string, long>> BeforeIterationsAsync(CancellationToken cancellationToken)
    {
        await _destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Shared, _paths), cancellationToken).ConfigureAwait(false);
        return FileSystemTransfer.None.ToFigures();
    }

    /// <inheritdoc/>
    public Task<IReadOnlyDictionary<string, long>> AfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
        Task.FromResult(FileSystemTransfer.None.ToFigures());

    /// <inheritdoc/>
    public Task<IReadOnlyDictionary<string, long>> WhileFrozenAsync(CancellationToken cancellationToken) =>
        Task.FromResult(FileSystemTransfer.None.ToFigures());

    /// <inheritdoc/>
    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => Task.CompletedTask;
}
