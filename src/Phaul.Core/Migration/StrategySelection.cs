namespace Phaul;

/// <summary>
/// What the two ends of a migration lack (empty: nothing): for memory tracking, for post-copy, and for mapping the tree
/// at a restore that premaps it (lazy, or from parent images: <see cref="PremapRule"/>).
/// </summary>
internal sealed record StrategySupport(IReadOnlyList<string> MemoryTrackingMissing, IReadOnlyList<string> PostCopyMissing,
                                       IReadOnlyList<string>? PremapMissing = null)
{
    public IReadOnlyList<string> PremapMissing { get; } = PremapMissing ?? [];
}

/// <summary>The strategy a migration runs, and what the report says about the choice.</summary>
internal sealed record StrategyDecision(MigrationStrategy Strategy, PreCopyStopReason? NoPreCopyReason, string? Note);

/// <summary>Picks the strategy from the one asked for and what both ends support.</summary>
internal static class StrategySelection
{
    private static readonly MigrationStrategy[] BestFirst =
        [MigrationStrategy.Hybrid, MigrationStrategy.PostCopy, MigrationStrategy.PreCopy, MigrationStrategy.StopAndCopy];

    /// <summary>The strategies to try, best first.</summary>
    public static IReadOnlyList<MigrationStrategy> Candidates(MigrationStrategy choice, bool allowFallback)
    {
        var first = choice switch
        {
            MigrationStrategy.Auto or MigrationStrategy.Hybrid => MigrationStrategy.Hybrid,
            MigrationStrategy.PostCopy => MigrationStrategy.PostCopy,
            MigrationStrategy.PreCopy => MigrationStrategy.PreCopy,
            _ => MigrationStrategy.StopAndCopy,
        };
        var fromFirst = BestFirst.SkipWhile(strategy => strategy != first);
        return choice == MigrationStrategy.Auto || allowFallback ? [.. fromFirst] : [first];
    }

    public static bool NeedsMemoryTracking(MigrationStrategy strategy) =>
        strategy is MigrationStrategy.PreCopy or MigrationStrategy.Hybrid;

    public static bool NeedsPostCopy(MigrationStrategy strategy) =>
        strategy is MigrationStrategy.PostCopy or MigrationStrategy.Hybrid;

    /// <summary>
    /// Whether the strategy's restore premaps every private mapping: a lazy restore does, and so does one whose
    /// pages come partly from parent images (pre-copy's pre-dumps). Only stop-and-copy's plain restore does not.
    /// </summary>
    public static bool NeedsPremap(MigrationStrategy strategy) =>
        strategy is MigrationStrategy.PreCopy or MigrationStrategy.PostCopy or MigrationStrategy.Hybrid;

    /// <summary>The candidates both ends support, best first.</summary>
    public static IReadOnlyList<MigrationStrategy> Supported(MigrationStrategy choice, bool allowFallback, StrategySupport support) =>
        [.. Candidates(choice, allowFallback).Where(candidate => Missing(candidate, support).Count == 0)];

    /// <summary>
    /// The first candidate both ends support; for <see cref="MigrationStrategy.Auto"/> with a forecast, the supported
    /// candidate the forecast chose (<paramref name="forecastChoice"/>) instead.
    /// </summary>
    /// <exception cref="StrategyUnavailableException">None is (only without fallback).</exception>
    public static StrategyDecision Decide(MigrationStrategy choice, bool allowFallback, StrategySupport support,
                                          MigrationStrategy? forecastChoice = null)
    {
        var candidates = Candidates(choice, allowFallback);
        var skipped = new List<(MigrationStrategy Strategy, IReadOnlyList<string> Missing)>();
        foreach (var candidate in candidates)
        {
            var missing = Missing(candidate, support);
            if (missing.Count == 0)
            {
                if (choice == MigrationStrategy.Auto && forecastChoice is { } predicted && predicted != candidate)
                    return ByForecast(predicted, candidates, skipped, support);
                return new StrategyDecision(candidate, NoPreCopyReason(candidate, skipped, support), Note(candidate, skipped));
            }
            skipped.Add((candidate, missing));
        }
        throw new StrategyUnavailableException(choice, skipped[0].Missing);
    }

    // The forecast chose a candidate after the first supported one; the note still names what the better ones lacked.
    private static StrategyDecision ByForecast(MigrationStrategy predicted, IReadOnlyList<MigrationStrategy> candidates,
                                               List<(MigrationStrategy Strategy, IReadOnlyList<string> Missing)> skipped, StrategySupport support)
    {
        if (!candidates.Contains(predicted) || Missing(predicted, support).Count > 0)
            throw new ArgumentException($"The forecast chose {Name(predicted)}, which both ends do not support.", nameof(predicted));
        var declinedPreCopy = !NeedsMemoryTracking(predicted)
                              && candidates.Any(candidate => NeedsMemoryTracking(candidate) && Missing(candidate, support).Count == 0);
        var reason = declinedPreCopy ? PreCopyStopReason.PreCopyNotPredictedBetter : NoPreCopyReason(predicted, skipped, support);
        return new StrategyDecision(predicted, reason, Note(predicted, skipped));
    }

    private static List<string> Missing(MigrationStrategy strategy, StrategySupport support)
    {
        var missing = new List<string>();
        if (NeedsMemoryTracking(strategy))
            missing.AddRange(support.MemoryTrackingMissing);
        if (NeedsPostCopy(strategy))
            missing.AddRange(support.PostCopyMissing);
        if (NeedsPremap(strategy))
            missing.AddRange(support.PremapMissing);
        return missing;
    }

    private static PreCopyStopReason? NoPreCopyReason(MigrationStrategy chosen, List<(MigrationStrategy Strategy, IReadOnlyList<string> Missing)> skipped,
                                                      StrategySupport support)
    {
        if (NeedsMemoryTracking(chosen))
            return null;
        var preCopyWanted = skipped.Any(s => NeedsMemoryTracking(s.Strategy));
        return preCopyWanted && support.MemoryTrackingMissing.Count > 0
            ? PreCopyStopReason.MemoryTrackingUnavailable
            : PreCopyStopReason.PreCopyDisabled;
    }

    private static string? Note(MigrationStrategy chosen, List<(MigrationStrategy Strategy, IReadOnlyList<string> Missing)> skipped) =>
        skipped.Count == 0
            ? null
            : $"{Name(chosen)} instead of {Name(skipped[0].Strategy)}: {string.Join("; ", skipped.SelectMany(s => s.Missing).Distinct())}";

    /// <summary>How notes and the CLI name a strategy.</summary>
    internal static string Name(MigrationStrategy strategy) => strategy switch
    {
        MigrationStrategy.PreCopy => "pre-copy",
        MigrationStrategy.StopAndCopy => "stop-and-copy",
        MigrationStrategy.PostCopy => "post-copy",
        MigrationStrategy.Hybrid => "hybrid",
        _ => strategy.ToString(),
    };
}
