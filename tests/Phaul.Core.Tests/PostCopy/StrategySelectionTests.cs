namespace Phaul.Core.Tests.PostCopy;

public class StrategySelectionTests
{
    private const string NoTracking = "no soft-dirty";
    private const string NoLazy = "no userfaultfd";

    private static StrategySupport Support(bool memoryTracking, bool postCopy) =>
        new(memoryTracking ? [] : [NoTracking], postCopy ? [] : [NoLazy]);

    public static TheoryData<StrategyChoice, bool, bool, MigrationStrategy> Choices => new()
    {
        // asked for, memory tracking, post-copy, what runs (fallback allowed)
        { StrategyChoice.Auto, true, true, MigrationStrategy.Hybrid },
        { StrategyChoice.Auto, false, true, MigrationStrategy.PostCopy },
        { StrategyChoice.Auto, true, false, MigrationStrategy.PreCopy },
        { StrategyChoice.Auto, false, false, MigrationStrategy.StopAndCopy },
        { StrategyChoice.Hybrid, false, true, MigrationStrategy.PostCopy },
        { StrategyChoice.Hybrid, true, false, MigrationStrategy.PreCopy },
        { StrategyChoice.PostCopy, true, true, MigrationStrategy.PostCopy },
        { StrategyChoice.PostCopy, true, false, MigrationStrategy.PreCopy },
        { StrategyChoice.PostCopy, false, false, MigrationStrategy.StopAndCopy },
        { StrategyChoice.PreCopy, true, true, MigrationStrategy.PreCopy },
        { StrategyChoice.PreCopy, false, true, MigrationStrategy.StopAndCopy },
        { StrategyChoice.StopAndCopy, true, true, MigrationStrategy.StopAndCopy },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void Decide_PicksTheBestCandidateBothEndsSupport(StrategyChoice choice, bool memoryTracking, bool postCopy, MigrationStrategy expected)
    {
        var decision = StrategySelection.Decide(choice, allowFallback: true, Support(memoryTracking, postCopy));

        Assert.Equal(expected, decision.Strategy);
    }

    [Fact]
    public void AutoWithoutMemoryTracking_NotesWhyNotHybrid_AndThatPreCopyWasMissing()
    {
        var decision = StrategySelection.Decide(StrategyChoice.Auto, allowFallback: true, Support(memoryTracking: false, postCopy: true));

        Assert.Equal($"post-copy instead of hybrid: {NoTracking}", decision.Note);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, decision.NoPreCopyReason);
    }

    [Fact]
    public void FallingBackTwice_NotesEveryMissingThingOnce()
    {
        var decision = StrategySelection.Decide(StrategyChoice.Hybrid, allowFallback: true, Support(memoryTracking: false, postCopy: false));

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
        Assert.Equal($"stop-and-copy instead of hybrid: {NoTracking}; {NoLazy}", decision.Note);
    }

    [Fact]
    public void TheStrategyAskedFor_RunsWithoutANote()
    {
        var decision = StrategySelection.Decide(StrategyChoice.PostCopy, allowFallback: false, Support(memoryTracking: false, postCopy: true));

        Assert.Equal(MigrationStrategy.PostCopy, decision.Strategy);
        Assert.Null(decision.Note);
        Assert.Equal(PreCopyStopReason.PreCopyDisabled, decision.NoPreCopyReason);
    }

    [Fact]
    public void PreCopyStrategies_LeaveTheStopReasonToThePolicy()
    {
        Assert.Null(StrategySelection.Decide(StrategyChoice.Hybrid, false, Support(true, true)).NoPreCopyReason);
        Assert.Null(StrategySelection.Decide(StrategyChoice.PreCopy, false, Support(true, false)).NoPreCopyReason);
    }

    [Theory]
    [InlineData(StrategyChoice.PostCopy, true, false, NoLazy)]
    [InlineData(StrategyChoice.PreCopy, false, true, NoTracking)]
    [InlineData(StrategyChoice.Hybrid, true, false, NoLazy)]
    public void WithoutFallback_AMissingFeatureIsRefused_NamingIt(StrategyChoice choice, bool memoryTracking, bool postCopy, string missing)
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
        var decision = StrategySelection.Decide(StrategyChoice.Auto, allowFallback: false, Support(false, false));

        Assert.Equal(MigrationStrategy.StopAndCopy, decision.Strategy);
    }

    [Fact]
    public void Candidates_AreTheChoiceAndWhatFollowsIt_OrTheChoiceAlone()
    {
        Assert.Equal([MigrationStrategy.PostCopy, MigrationStrategy.PreCopy, MigrationStrategy.StopAndCopy],
                     StrategySelection.Candidates(StrategyChoice.PostCopy, allowFallback: true));
        Assert.Equal([MigrationStrategy.PostCopy], StrategySelection.Candidates(StrategyChoice.PostCopy, allowFallback: false));
        Assert.Equal([MigrationStrategy.StopAndCopy], StrategySelection.Candidates(StrategyChoice.StopAndCopy, allowFallback: true));
        Assert.Equal(4, StrategySelection.Candidates(StrategyChoice.Auto, allowFallback: false).Count);
    }
}
