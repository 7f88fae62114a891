namespace Phaul.Benchmarks;

/// <summary>
/// One migration of a fresh workload: the downtime the workload saw (its largest wall-clock heartbeat gap
/// after the migration; it starts recording after its initial fill) and the wall time of the whole
/// migration (for post-copy: until the last page arrived).
/// </summary>
internal sealed record Measurement(TimeSpan Downtime, TimeSpan WallTime, TimeSpan LargestGapBefore)
{
    /// <summary>
    /// Whether the downtime is the migration's: a gap as large before the migration (machine load)
    /// would hide it.
    /// </summary>
    public bool IsClean => Downtime > LargestGapBefore;

    /// <summary>What the method itself reported about the run, if anything (printed, not tabled).</summary>
    public string? Detail { get; init; }
}
