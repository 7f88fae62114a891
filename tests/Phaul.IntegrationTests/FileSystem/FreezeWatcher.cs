namespace Phaul.IntegrationTests.FileSystem;

/// <summary>Changes the source tree just before the freeze copy, and reads the log on both sides right after it.</summary>
internal sealed class FreezeWatcher(IMigrationHook inner, string tree, string copy) : IMigrationHook
{
    public string? FrozenSourceLog { get; private set; }

    public string? FrozenCopyLog { get; private set; }

    public string Name => inner.Name;

    public Task<IReadOnlyDictionary<string, long>> BeforeIterationsAsync(CancellationToken cancellationToken) =>
        inner.BeforeIterationsAsync(cancellationToken);

    public Task<IReadOnlyDictionary<string, long>> AfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
        inner.AfterPreDumpAsync(iteration, cancellationToken);

    public async Task<IReadOnlyDictionary<string, long>> WhileFrozenAsync(CancellationToken cancellationToken)
    {
        File.WriteAllText(Path.Combine(tree, "changed"), "new");
        File.WriteAllText(Path.Combine(tree, "created"), "created before the freeze");
        File.Delete(Path.Combine(tree, "deleted"));
        var figures = await inner.WhileFrozenAsync(cancellationToken);
        FrozenSourceLog = await File.ReadAllTextAsync(Path.Combine(tree, "log"), cancellationToken);
        FrozenCopyLog = await File.ReadAllTextAsync(Path.Combine(copy, "log"), cancellationToken);
        return figures;
    }

    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => inner.CompleteAsync(migrated, cancellationToken);
}
