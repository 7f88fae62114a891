namespace Phaul.PreCopyLane;

/// <summary>One migration of the lane: a workload, a strategy and convergence policy, and the stop rule it must end on.</summary>
/// <param name="Name">Short name, used on the command line and in file names.</param>
/// <param name="Purpose">What the run shows, for the table's heading.</param>
/// <param name="Workload">The workload to migrate.</param>
/// <param name="StopRules">The client's options with its pre-copy stop rules: every rule but the one under test is set so it cannot fire.</param>
/// <param name="ExpectedStop">The stop reason the report must give.</param>
internal sealed record LaneScenario(string Name, string Purpose, WorkloadShape Workload, PhaulClientOptions StopRules,
                                    PreCopyStopReason ExpectedStop) : ILaneScenario
{
    /// <summary>The strategy asked for, without fallback: pre-copy, or hybrid (pre-copy, then post-copy for the rest).</summary>
    public MigrationStrategy Strategy { get; init; } = MigrationStrategy.PreCopy;

    /// <summary>How many pre-dumps must run, when the rule makes that certain.</summary>
    public int? ExpectedPreDumps { get; init; }

    /// <summary>
    /// Migrate through Phaul.Transport (a MigrationListener and a MigrationConnection on the guest's loopback)
    /// instead of a PhaulServer in this process.
    /// </summary>
    public bool OverTransport { get; init; }

    /// <summary>How long the destination waits before starting an iteration, by index (see <see cref="SlowDestination"/>).</summary>
    public IReadOnlyDictionary<int, TimeSpan> Pauses { get; init; } = new Dictionary<int, TimeSpan>();
}
