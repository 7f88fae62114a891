using Phaul.PreCopyLane.Containers;

namespace Phaul.PreCopyLane;

/// <summary>
/// The lane's migrations: one per stop rule that can end pre-copy on a workload that keeps dirtying memory,
/// and hybrid (pre-copy, then post-copy) in this process and over the transport; and a runc container by pre-copy and by
/// hybrid. In each tree migration, the rules not under test are set so they cannot fire
/// (floor 0, skipped-share goal 100%, growth off).
/// </summary>
internal static class Scenarios
{
    /// <summary>32 MiB, 8 pages rewritten per tick in a 256-page (1 MiB) hot set: each pre-dump after the first finds about the hot set dirty.</summary>
    private static readonly WorkloadShape HotSet = new(MemoryMiB: 32, DirtyPagesPerTick: 8, HotSetPages: 256);

    /// <summary>32 MiB, 2 pages rewritten per tick in a 32-page hot set: after the first pre-dump, almost nothing to send.</summary>
    private static readonly WorkloadShape SmallHotSet = new(MemoryMiB: 32, DirtyPagesPerTick: 2, HotSetPages: 32);

    /// <summary>
    /// 64 MiB, one page rewritten per tick, cycling through 4,096 pages (16 MiB): what a pre-dump finds dirty
    /// grows with the time since the one before, up to those 4,096 pages.
    /// </summary>
    private static readonly WorkloadShape SlowSweep = new(MemoryMiB: 64, DirtyPagesPerTick: 1, HotSetPages: 4096);

    public static IReadOnlyList<ILaneScenario> All { get; } =
    [
        new LaneScenario("max-iterations", "pre-copy runs until the iteration limit", HotSet,
            Only(maxIterations: 3), PreCopyStopReason.MaxIterations) { ExpectedPreDumps = 3 },
        // Pre-dump 1 writes about the hot set (~260 pages), well under the floor.
        new LaneScenario("pages-floor", "pre-copy stops once a pre-dump writes few pages", HotSet,
            Only(pagesWrittenFloor: 1024), PreCopyStopReason.PagesWrittenFloor) { ExpectedPreDumps = 2 },
        // The hot set is above the default 64-page floor, so the 70% rule is the one that fires.
        new LaneScenario("default-policy", "the default policy: stops when 70% of the pages were already in the parent", HotSet,
            new PhaulClientOptions(), PreCopyStopReason.SkippedShareGoal) { ExpectedPreDumps = 2 },
        // Pre-dump 0's estimate is its whole memwrite time (~1-5 s under emulation); pre-dump 1's is the hot
        // set's share of all pages written so far (~0.5%) of the memwrite time so far (~5-25 ms).
        new LaneScenario("downtime-target", "pre-copy stops once the final dump's pages fit the downtime target", SmallHotSet,
            Only(downtimeTarget: TimeSpan.FromMilliseconds(100)), PreCopyStopReason.DowntimeTarget) { ExpectedPreDumps = 2 },
        new LaneScenario("dirty-growth", "pre-copy stops when a pre-dump finds more dirty pages than the one before", SlowSweep,
            Only(maxGrowth: 0.5), PreCopyStopReason.DirtyGrowth)
        {
            // Pre-dump 1 sees ~12 s of dirtying (the pause plus pre-dump 0's copying), pre-dump 2 a few
            // seconds, pre-dump 3 ~13 s again: it grows about fourfold, and 2 cannot outgrow 1 by half.
            ExpectedPreDumps = 4,
            Pauses = new Dictionary<int, TimeSpan> { [1] = TimeSpan.FromSeconds(6), [3] = TimeSpan.FromSeconds(10) },
        },
        // As pages-floor, but the final stage is lazy: the hot set and the rest follow the resumed tree from the source.
        new LaneScenario("hybrid", "hybrid: pre-copy until a pre-dump writes few pages, then post-copy for the rest", HotSet,
            Only(pagesWrittenFloor: 1024), PreCopyStopReason.PagesWrittenFloor) { Strategy = MigrationStrategy.Hybrid, ExpectedPreDumps = 2 },
        // As hybrid, over the network transport: the pre-dumps' page maps must come back from the destination first.
        new LaneScenario("hybrid-transport", "hybrid over the transport (loopback): the pre-dumps' page maps come back, only the hot set follows", HotSet,
            Only(pagesWrittenFloor: 1024), PreCopyStopReason.PagesWrittenFloor)
        {
            Strategy = MigrationStrategy.Hybrid, ExpectedPreDumps = 2, OverTransport = true,
        },
        // runc's own pre-dumps of a container (this machine's kernel cannot make them), its final dump naming the last.
        new ContainerLaneScenario("container-precopy", "a runc container by pre-copy: runc pre-dumps while it runs, the final dump holds what changed",
                                  MigrationStrategy.PreCopy, BallastMiB: 32, PreDumps: 2),
        new ContainerLaneScenario("container-hybrid", "a runc container by hybrid: runc pre-dumps while it runs, the rest follows it lazily",
                                  MigrationStrategy.Hybrid, BallastMiB: 32, PreDumps: 2),
        // 8 MiB into the control connection's stream: inside pre-dump 1's images (the shell's 32 MiB), past the handshake.
        new ContainerLaneScenario("container-precopy-link-cut", "a runc container by pre-copy, the link broken while pre-dump 1 crosses: it runs on here",
                                  MigrationStrategy.PreCopy, BallastMiB: 32, PreDumps: 2) { CutLinkAt = 8 * 1024 * 1024 },
    ];

    /// <summary>
    /// A policy on which only the given rules and the iteration limit can fire: pages floor 0, skipped-share
    /// goal 100% (only reachable with 0 pages written, which the floor catches first), growth off.
    /// </summary>
    private static PhaulClientOptions Only(int maxIterations = 8, ulong pagesWrittenFloor = 0,
                                          double maxGrowth = double.PositiveInfinity, TimeSpan? downtimeTarget = null) => new()
    {
        MaxIterations = maxIterations,
        PagesWrittenFloor = pagesWrittenFloor,
        SkippedShareGoal = 1,
        MaxGrowth = maxGrowth,
        DowntimeTarget = downtimeTarget,
    };
}
