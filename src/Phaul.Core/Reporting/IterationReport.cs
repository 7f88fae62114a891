namespace Phaul;

/// <summary>One pre-copy iteration: a pre-dump through the destination's page server.</summary>
public sealed record IterationReport
{
    /// <summary>The iteration's number; its images are in <c>Wdir/Index</c> on both sides.</summary>
    public int Index { get; init; }

    /// <summary>The source's images directory of this iteration.</summary>
    public string ImagesDirectory { get; init; } = "";

    /// <summary>When the iteration started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>From asking the destination to start the iteration until it confirmed its end.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// CRIU's statistics of this pre-dump alone (not the running sums CRIU writes during a pre-dump chain),
    /// or <see langword="null"/> when CRIU left none.
    /// </summary>
    public DumpStatistics? Dump { get; init; }
}
