namespace Phaul.PreCopyLane;

/// <summary>
/// The lane's migrations: one per stop rule that can end pre-copy on a workload that keeps dirtying memory.
/// In each, the rules not under test are set so they cannot fire (floor 0, skipped-share goal 100%, growth off).
/// </summary>
internal static class Scenarios
{
    /// <summary>64 MiB, 8 pages rewritten per tick in a 256-page (1 MiB) hot set: each pre-dump after the first finds about the hot set dirty.</summary>
    private static readonly WorkloadShape HotSet = new(MemoryMiB: 64, DirtyPagesPerTick: 8, HotSetPages: 256);

    /// <summary>64 MiB, one page rewritten per tick across all of it: what a pre-dump finds dirty grows with the time since the one before.</summary>
    private static readonly WorkloadShape SlowSweep = new(MemoryMiB: 64, DirtyPagesPerTick: 1, HotSetPages: 0);

    public static IReadOnlyList<LaneScenario> All { get; } =
    [
        new("max-iterations", "pre-copy runs until the iteration limit", HotSet,
            Only(maxIterations: 3), PreCopyStopReason.MaxIterations) { ExpectedPreDumps = 3 },
        // Pre-dump 1 writes about the hot set (~260 pages), well under the floor.
        new("pages-floor", "pre-copy stops once a pre-dump writes few pages", HotSet,
            Only(pagesWrittenFloor: 1024), PreCopyStopReason.PagesWrittenFloor) { ExpectedPreDumps = 2 },
        // The hot set is above the default 64-page floor, so the 70% rule is the one that fires.
        new("default-policy", "the default policy: stops when 70% of the pages were already in the parent", HotSet,
            new ConvergencePolicy(), PreCopyStopReason.SkippedShareGoal) { ExpectedPreDumps = 2 },
        // Pre-dump 0's estimate is its whole memwrite time (seconds under emulation); pre-dump 1's is the
        // hot set's share of all pages written so far (~1.6%) of the memwrite time so far: well under 1 s.
        new("downtime-target", "pre-copy stops once the final dump's pages fit the downtime target", HotSet,
            Only(downtimeTarget: TimeSpan.FromSeconds(1)), PreCopyStopReason.DowntimeTarget) { ExpectedPreDumps = 2 },
        new("dirty-growth", "pre-copy stops when a pre-dump finds more dirty pages than the one before", SlowSweep,
            Only(maxGrowth: 0.5), PreCopyStopReason.DirtyGrowth)
        {
            // Pre-dump 1 sees ~12 s of dirtying (the pause plus pre-dump 0's copying), pre-dump 2 a few
            // seconds, pre-dump 3 ~13 s again: it grows about fourfold, and 2 cannot outgrow 1 by half.
            ExpectedPreDumps = 4,
            Pauses = new Dictionary<int, TimeSpan> { [1] = TimeSpan.FromSeconds(6), [3] = TimeSpan.FromSeconds(10) },
        },
    ];

    /// <summary>
    /// A policy on which only the given rules and the iteration limit can fire: pages floor 0, skipped-share
    /// goal 100% (only reachable with 0 pages written, which the floor catches first), growth off.
    /// </summary>
    private static ConvergencePolicy Only(int maxIterations = 8, ulong pagesWrittenFloor = 0,
                                          double maxGrowth = double.PositiveInfinity, TimeSpan? downtimeTarget = null) => new()
    {
        MaxIterations = maxIterations,
        PagesWrittenFloor = pagesWrittenFloor,
        SkippedShareGoal = 1,
        MaxGrowth = maxGrowth,
        DowntimeTarget = downtimeTarget,
    };
}
