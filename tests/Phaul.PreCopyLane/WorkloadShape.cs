using Phaul.DemoWorkload;

namespace Phaul.PreCopyLane;

/// <summary>The workload a scenario migrates: its memory and how it dirties it.</summary>
/// <param name="MemoryMiB">Memory filled with the verified pattern.</param>
/// <param name="DirtyPagesPerTick">Pages rewritten per ~1 ms loop turn.</param>
/// <param name="HotSetPages">The rewritten pages cycle through the first this many pages; 0: through all memory.</param>
internal sealed record WorkloadShape(int MemoryMiB, int DirtyPagesPerTick, int HotSetPages)
{
    public const int PageSize = 4096;

    public long MemoryPages => (long)MemoryMiB * 1024 * 1024 / PageSize;

    public Task<Workload> StartAsync(CancellationToken cancellationToken) =>
        HotSetPages > 0
            ? Workload.StartWithHotSetAsync(MemoryMiB, DirtyPagesPerTick, HotSetPages, cancellationToken)
            : Workload.StartAsync(MemoryMiB, DirtyPagesPerTick, cancellationToken);

    public override string ToString() =>
        HotSetPages > 0
            ? $"{MemoryMiB} MiB, rewriting {DirtyPagesPerTick} page(s) per tick in a hot set of {HotSetPages} pages"
            : $"{MemoryMiB} MiB, rewriting {DirtyPagesPerTick} page(s) per tick across all of it";
}
