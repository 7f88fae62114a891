namespace Phaul.Benchmarks;

/// <summary>
/// One migration of a fresh workload: the downtime the workload saw (its largest heartbeat gap after the
/// migration; it starts recording after its initial fill) and the wall time of the whole migration.
/// </summary>
internal sealed record Measurement(TimeSpan Downtime, TimeSpan WallTime, TimeSpan LargestGapBefore)
{
    /// <summary>
    /// Whether the downtime is the migration's: a gap as large before the migration (machine load)
    /// would hide it.
    /// </summary>
    public bool IsClean => Downtime > LargestGapBefore;
}
