namespace Phaul.Core.Tests.PostCopy;

public class StrategySelectionTests
{
    private const string NoTracking = "no soft-dirty";
    private const string NoLazy = "no userfaultfd";

    private static StrategySupport Support(bool memoryTracking, bool postCopy) =>
        new(memoryTracking ? [] : [NoTracking], postCopy ? [] : [NoLazy]);

    public static TheoryData<MigrationStrategy, bool, bool, MigrationStrategy> Choices => new()
    {
        // asked for, memory tracking, post-copy, what runs (fallback allowed)
        { MigrationStrategy.Auto, true, true, MigrationStrategy.Hybrid },
        { MigrationStrategy.Auto, false, true, MigrationStrategy.PostCopy },
        { MigrationStrategy.Auto, true, false, MigrationStrategy.PreCopy },
        { MigrationStrategy.Auto, false, false, MigrationStrategy.StopAndCopy },
        { MigrationStrategy.Hybrid, false, true, MigrationStrategy.PostCopy },
        { MigrationStrategy.Hybrid, true, false, MigrationStrategy.PreCopy },
        { MigrationStrategy.PostCopy, true, true, MigrationStrategy.PostCopy },
        { MigrationStrategy.PostCopy, true, false, MigrationStrategy.PreCopy },
        { MigrationStrategy.PostCopy, false, false, MigrationStrategy.StopAndCopy },
        { MigrationStrategy.PreCopy, true, true, MigrationStrategy.PreCopy },
        { MigrationStrategy.PreCopy, false, true, MigrationStrategy.StopAndCopy },
        { MigrationStrategy.StopAndCopy, true, true, MigrationStrategy.StopAndCopy },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void Decide_PicksTheBestCandidateBothEndsSupport(MigrationStrategy choice, bool memoryTracking, bool postCopy, MigrationStrategy expected)
    {
        var decision = StrategySelection.Decide(choice, allowFallback: true, Support(memoryTracking, postCopy));

        Assert.Equal(expected, decision.Strategy);
    }

    [Fact]
    public void AutoWithoutMemoryTracking_NotesWhyNotHybrid_AndThatPreCopyWasMissing()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.Auto, allowFallback: true, Support(memoryTracking: false, postCopy: true));

        Assert.Equal($"post-copy instead of hybrid: {NoTracking}", decision.Note);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, decision.NoPreCopyReason);
    }

    [Fact]
    public void FallingBackTwice_NotesEveryMissingThingOnce()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.Hybrid, allowFallback: true, Support(memoryTracking: false, postCopy: false));

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
        Assert.Equal($"stop-and-copy instead of hybrid: {NoTracking}; {NoLazy}", decision.Note);
    }

    [Fact]
    public void TheStrategyAskedFor_RunsWithoutANote()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.PostCopy, allowFallback: false, Support(memoryTracking: false, postCopy: true));

        Assert.Equal(MigrationStrategy.PostCopy, decision.Strategy);
        Assert.Null(decision.Note);
        Assert.Equal(PreCopyStopReason.PreCopyDisabled, decision.NoPreCopyReason);
    }

    [Fact]
    public void PreCopyStrategies_LeaveTheStopReasonToThePolicy()
    {
        Assert.Null(StrategySelection.Decide(MigrationStrategy.Hybrid, false, Support(true, true)).NoPreCopyReason);
        Assert.Null(StrategySelection.Decide(MigrationStrategy.PreCopy, false, Support(true, false)).NoPreCopyReason);
    }

    [Theory]
    [InlineData(MigrationStrategy.PostCopy, true, false, NoLazy)]
    [InlineData(MigrationStrategy.PreCopy, false, true, NoTracking)]
    [InlineData(MigrationStrategy.Hybrid, true, false, NoLazy)]
    public void WithoutFallback_AMissingFeatureIsRefused_NamingIt(MigrationStrategy choice, bool memoryTracking, bool postCopy, string missing)
    {
        var error = Assert.Throws<StrategyUnavailableException>(
            () => StrategySelection.Decide(choice, allowFallback: false, Support(memoryTracking, postCopy)));

        Assert.Equal(choice, error.Requested);
        Assert.Equal([missing], error.Missing);
        Assert.Contains(missing, error.Message);
        Assert.Contains("AllowFallback", error.Message);
    }

    [Fact]
    public void Auto_NeverRefuses_EvenWithoutFallback()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.Auto, allowFallback: false, Support(false, false));

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
    }

    [Fact]
    public void Candidates_AreTheChoiceAndWhatFollowsIt_OrTheChoiceAlone()
    {
        Assert.Equal([MigrationStrategy.PostCopy, MigrationStrategy.PreCopy, MigrationStrategy.StopAndCopy],
                     StrategySelection.Candidates(MigrationStrategy.PostCopy, allowFallback: true));
        Assert.Equal([MigrationStrategy.PostCopy], StrategySelection.Candidates(MigrationStrategy.PostCopy, allowFallback: false));
        Assert.Equal([MigrationStrategy.StopAndCopy], StrategySelection.Candidates(MigrationStrategy.StopAndCopy, allowFallback: true));
        Assert.Equal(4, StrategySelection.Candidates(MigrationStrategy.Auto, allowFallback: false).Count);
    }

    [Theory]
    [InlineData(MigrationStrategy.Auto, true, MigrationStrategy.StopAndCopy)]
    [InlineData(MigrationStrategy.Auto, false, MigrationStrategy.StopAndCopy)]
    [InlineData(MigrationStrategy.PostCopy, true, MigrationStrategy.StopAndCopy)]
    public void A_destination_that_cannot_premap_the_tree_rules_out_every_strategy_but_stop_and_copy(MigrationStrategy choice, bool memoryTracking,
                                                                                                    MigrationStrategy expected)
    {
        // Failure handled: the destination's vm.overcommit_memory refuses the tree's largest mapping; lazy and parent-image restores premap it.
        const string overcommit = "the destination's vm.overcommit_memory = 0 (heuristic) ...; fix: sysctl vm.overcommit_memory=1 on the destination";
        var support = new StrategySupport(memoryTracking ? [] : [NoTracking], [], [overcommit]);

        var decision = StrategySelection.Decide(choice, allowFallback: true, support);

        Assert.Equal(expected, decision.Strategy);
        Assert.Contains(overcommit, decision.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void An_explicit_post_copy_without_fallback_fails_naming_the_overcommit_setting_and_its_fix()
    {
        // Failure handled: --strategy postcopy --no-fallback towards a destination that cannot premap the tree: refused before anything runs.
        const string overcommit = "the destination's vm.overcommit_memory = 0 (heuristic) ...; fix: sysctl vm.overcommit_memory=1 on the destination";

        var refused = Assert.Throws<StrategyUnavailableException>(
            () => StrategySelection.Decide(MigrationStrategy.PostCopy, allowFallback: false, new StrategySupport([], [], [overcommit])));

        Assert.Equal([overcommit], refused.Missing);
        Assert.Contains("sysctl vm.overcommit_memory=1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Auto_follows_the_forecast_and_says_when_it_declined_pre_copy()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.Auto, allowFallback: true, Support(memoryTracking: true, postCopy: true),
                                                MigrationStrategy.StopAndCopy);

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
        Assert.Equal(PreCopyStopReason.PreCopyNotPredictedBetter, decision.NoPreCopyReason);
        Assert.Null(decision.Note);
    }

    [Fact]
    public void Auto_by_forecast_still_notes_what_the_better_strategies_lacked()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.Auto, allowFallback: true, Support(memoryTracking: false, postCopy: true),
                                                MigrationStrategy.StopAndCopy);

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, decision.NoPreCopyReason);
        Assert.Equal($"stop-and-copy instead of hybrid: {NoTracking}", decision.Note);
    }

    [Fact]
    public void A_strategy_asked_for_ignores_the_forecast()
    {
        var decision = StrategySelection.Decide(MigrationStrategy.PostCopy, allowFallback: true, Support(memoryTracking: true, postCopy: true),
                                                MigrationStrategy.StopAndCopy);

        Assert.Equal(MigrationStrategy.PostCopy, decision.Strategy);
    }

    [Fact]
    public void A_forecast_for_a_strategy_the_ends_lack_is_a_bug_named_as_such()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategySelection.Decide(
            MigrationStrategy.Auto, allowFallback: true, Support(memoryTracking: false, postCopy: true), MigrationStrategy.PreCopy));

        Assert.Contains("pre-copy, which both ends do not support", error.Message, StringComparison.Ordinal);
    }
}
