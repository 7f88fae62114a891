namespace Phaul.IntegrationTests.FileSystem;

/// <summary>Changes the source tree just before the freeze copy, and reads the log on both sides right after it.</summary>
internal sealed class FreezeWatcher(IFileSystemMigration inner, string tree, string copy) : IFileSystemMigration
{
    public string? FrozenSourceLog { get; private set; }

    public string? FrozenCopyLog { get; private set; }

    public Task<FileSystemTransfer> CopyBeforeIterationsAsync(CancellationToken cancellationToken) =>
        inner.CopyBeforeIterationsAsync(cancellationToken);

    public Task<FileSystemTransfer> CopyAfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
        inner.CopyAfterPreDumpAsync(iteration, cancellationToken);

    public async Task<FileSystemTransfer> CopyFrozenAsync(CancellationToken cancellationToken)
    {
        File.WriteAllText(Path.Combine(tree, "changed"), "new");
        File.WriteAllText(Path.Combine(tree, "created"), "created before the freeze");
        File.Delete(Path.Combine(tree, "deleted"));
        var transfer = await inner.CopyFrozenAsync(cancellationToken);
        FrozenSourceLog = await File.ReadAllTextAsync(Path.Combine(tree, "log"), cancellationToken);
        FrozenCopyLog = await File.ReadAllTextAsync(Path.Combine(copy, "log"), cancellationToken);
        return transfer;
    }

    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => inner.CompleteAsync(migrated, cancellationToken);
}
