using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The migration's view of <see cref="CriuImageStats"/>: a missing statistics file is an answer
/// (CRIU wrote none), a malformed one is still an error.
/// </summary>
internal sealed class CriuStatsSource : IStatsSource
{
    public static CriuStatsSource Instance { get; } = new();

    public Task<DumpStatsEntry?> ReadDumpStatsAsync(string directory, CancellationToken cancellationToken) =>
        NullWhenMissing(() => CriuImageStats.ReadDumpStatsAsync(directory, cancellationToken));

    public Task<RestoreStatsEntry?> ReadRestoreStatsAsync(string directory, CancellationToken cancellationToken) =>
        NullWhenMissing(() => CriuImageStats.ReadRestoreStatsAsync(directory, cancellationToken));

    private static async Task<T?> NullWhenMissing<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
