using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// PLACEHOLDER until the stats reader of Images/ is merged: reports every statistics file as missing,
/// so pre-copy stops after one pre-dump (<see cref="PreCopyStopReason.StatisticsUnavailable"/>) and the
/// report carries no statistics. Replace with an adapter over the real reader.
/// </summary>
internal sealed class PendingStatsSource : IStatsSource
{
    public static PendingStatsSource Instance { get; } = new();

    public Task<DumpStatsEntry?> ReadDumpStatsAsync(string directory, CancellationToken cancellationToken) =>
        Task.FromResult<DumpStatsEntry?>(null);

    public Task<RestoreStatsEntry?> ReadRestoreStatsAsync(string directory, CancellationToken cancellationToken) =>
        Task.FromResult<RestoreStatsEntry?>(null);
}
