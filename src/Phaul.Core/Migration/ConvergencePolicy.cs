namespace Phaul;

/// <summary>
/// Decides after each pre-dump whether to pre-copy again or go to the final dump. The rules are
/// checked in this order and the first that holds stops pre-copy:
/// <list type="number">
/// <item><see cref="PagesWrittenFloor"/>: the last pre-dump wrote at most this many pages (64).</item>
/// <item><see cref="DowntimeTarget"/>, when set: the final dump's pages fit in the target at the measured rate.</item>
/// <item><see cref="SkippedShareGoal"/>: at least this share of pages was already in the parent (0.7, LXD's rule).</item>
/// <item><see cref="MaxGrowth"/>: the last pre-dump wrote more than this share more than the one before (0.1, P.Haul's rule).</item>
/// <item><see cref="MaxIterations"/>: this many pre-dumps ran (8).</item>
/// </list>
/// </summary>
internal sealed class ConvergencePolicy
{
    /// <summary>The most pre-dumps to run; at least 1. Default 8 (P.Haul, go-criu).</summary>
    public int MaxIterations { get; init; } = 8;

    /// <summary>Stop once a pre-dump writes at most this many pages. Default 64 (P.Haul, go-criu).</summary>
    public ulong PagesWrittenFloor { get; init; } = 64;

    /// <summary>
    /// Stop when a pre-dump writes more than <c>(1 + MaxGrowth)</c> times the pages of the one before:
    /// the tree dirties memory faster than it is copied. Default 0.1, i.e. 10% (P.Haul).
    /// </summary>
    public double MaxGrowth { get; init; } = 0.1;

    /// <summary>
    /// Stop when the share of pages skipped because the parent had them, out of pages written plus
    /// skipped, reaches this goal (0 to 1): that much memory is already on the destination.
    /// Default 0.7 (LXD's <c>migration.incremental.memory.goal</c> default, 70%).
    /// </summary>
    public double SkippedShareGoal { get; init; } = 0.7;

    /// <summary>
    /// When set, stop once the final dump is expected to send its pages within this time. The
    /// expectation is the last pre-dump's pages written (what the tree dirtied in one iteration) at
    /// the rate all pre-dumps so far wrote pages (pages written over CRIU's memwrite time). It covers
    /// the page transfer only, not CRIU's fixed costs of freezing, dumping the rest and restoring.
    /// Default <see langword="null"/>: no target.
    /// </summary>
    public TimeSpan? DowntimeTarget { get; init; }

    /// <summary>Judges the iterations so far.</summary>
    /// <param name="iterations">CRIU's statistics of every pre-dump so far, oldest first; not empty.</param>
    /// <returns>Why to stop pre-copying, or <see langword="null"/> to run another pre-dump.</returns>
    public PreCopyStopReason? Evaluate(IReadOnlyList<DumpStatistics> iterations)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        if (iterations.Count == 0)
            throw new ArgumentException("At least one iteration is needed to judge convergence.", nameof(iterations));

        var last = iterations[^1];
        if (last.PagesWritten <= PagesWrittenFloor)
            return PreCopyStopReason.PagesWrittenFloor;
        if (DowntimeTarget is { } target && EstimateFinalTransfer(iterations) is { } estimate && estimate <= target)
            return PreCopyStopReason.DowntimeTarget;
        if (last.SkippedParentShare >= SkippedShareGoal)
            return PreCopyStopReason.SkippedShareGoal;
        if (iterations.Count > 1 && last.PagesWritten > iterations[^2].PagesWritten * (1 + MaxGrowth))
            return PreCopyStopReason.DirtyGrowth;
        if (iterations.Count >= MaxIterations)
            return PreCopyStopReason.MaxIterations;
        return null;
    }

    /// <summary>
    /// The time the final dump is expected to spend sending pages, or <see langword="null"/> when no
    /// rate could be measured (no pages written or no write time recorded).
    /// </summary>
    /// <param name="iterations">CRIU's statistics of every pre-dump so far, oldest first.</param>
    public static TimeSpan? EstimateFinalTransfer(IReadOnlyList<DumpStatistics> iterations)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        var pages = iterations.Aggregate(0UL, (sum, it) => sum + it.PagesWritten);
        var time = iterations.Aggregate(TimeSpan.Zero, (sum, it) => sum + it.MemwriteTime);
        if (pages == 0 || time <= TimeSpan.Zero || iterations.Count == 0)
            return null;
        return time * ((double)iterations[^1].PagesWritten / pages);
    }

    internal void Validate()
    {
        if (MaxIterations < 1)
            throw new ArgumentException($"PhaulClientOptions.MaxIterations must be at least 1, got {MaxIterations}.", "options");
        if (!(MaxGrowth >= 0))
            throw new ArgumentException($"PhaulClientOptions.MaxGrowth must be 0 or more, got {MaxGrowth}.", "options");
        if (!(SkippedShareGoal is > 0 and <= 1))
            throw new ArgumentException($"PhaulClientOptions.SkippedShareGoal must be in (0, 1], got {SkippedShareGoal}.", "options");
        if (DowntimeTarget is { } target && target <= TimeSpan.Zero)
            throw new ArgumentException($"PhaulClientOptions.DowntimeTarget must be positive, got {target}.", "options");
    }
}
