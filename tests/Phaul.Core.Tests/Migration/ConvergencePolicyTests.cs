namespace Phaul.Core.Tests.Migration;

public class ConvergencePolicyTests
{
    private static readonly ConvergencePolicy Defaults = new();

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        Assert.Equal(8, Defaults.MaxIterations);
        Assert.Equal(64UL, Defaults.PagesWrittenFloor);
        Assert.Equal(0.1, Defaults.MaxGrowth);
        Assert.Equal(0.7, Defaults.SkippedShareGoal);
        Assert.Null(Defaults.DowntimeTarget);
    }

    [Fact]
    public void AFirstBigPreDump_GoesOn_UnlikeGoCriusAbsoluteGrowthTest()
    {
        // go-criu compares the first pre-dump with an empty one and always stops after it.
        Assert.Null(Defaults.Evaluate([Stats.Of(100_000)]));
    }

    [Theory]
    [InlineData(64UL, true)]
    [InlineData(65UL, false)]
    public void Floor_StopsAtOrBelow64Pages(ulong written, bool stops)
    {
        var reason = Defaults.Evaluate([Stats.Of(10_000), Stats.Of(written)]);
        Assert.Equal(stops ? PreCopyStopReason.PagesWrittenFloor : null, reason);
    }

    [Theory]
    [InlineData(1100UL, false)]   // exactly +10%: still converging enough
    [InlineData(1101UL, true)]
    public void Growth_StopsAboveTenPercentOverThePreviousIteration(ulong written, bool stops)
    {
        var reason = Defaults.Evaluate([Stats.Of(5000), Stats.Of(1000), Stats.Of(written)]);
        Assert.Equal(stops ? PreCopyStopReason.DirtyGrowth : null, reason);
    }

    [Theory]
    [InlineData(699UL, false)]
    [InlineData(700UL, true)]
    public void SkippedShare_StopsWhenSeventyPercentWereInTheParent(ulong skipped, bool stops)
    {
        var reason = Defaults.Evaluate([Stats.Of(5000), Stats.Of(1000 - skipped, skipped)]);
        Assert.Equal(stops ? PreCopyStopReason.SkippedShareGoal : null, reason);
    }

    [Fact]
    public void MaxIterations_StopsAtTheLimit()
    {
        var policy = new ConvergencePolicy { MaxIterations = 2 };
        Assert.Null(policy.Evaluate([Stats.Of(5000)]));
        Assert.Equal(PreCopyStopReason.MaxIterations, policy.Evaluate([Stats.Of(5000), Stats.Of(4000)]));
    }

    [Fact]
    public void DowntimeTarget_StopsWhenTheNextDumpsPagesFitAtTheMeasuredRate()
    {
        // 6000 pages in 2 s: 3000 pages/s, so the last iteration's 1000 pages take 333 ms.
        var iterations = new[] { Stats.Of(5000, memwriteMicroseconds: 1_000_000), Stats.Of(1000, memwriteMicroseconds: 1_000_000) };

        Assert.Equal(333.3, ConvergencePolicy.EstimateFinalTransfer(iterations)!.Value.TotalMilliseconds, precision: 1);
        Assert.Equal(PreCopyStopReason.DowntimeTarget,
                     new ConvergencePolicy { DowntimeTarget = TimeSpan.FromMilliseconds(334) }.Evaluate(iterations));
        Assert.Null(new ConvergencePolicy { DowntimeTarget = TimeSpan.FromMilliseconds(333) }.Evaluate(iterations));
    }

    [Fact]
    public void DowntimeTarget_IsIgnored_WhenNoRateWasMeasured()
    {
        var iterations = new[] { Stats.Of(5000, memwriteMicroseconds: 0) };
        Assert.Null(ConvergencePolicy.EstimateFinalTransfer(iterations));
        Assert.Null(new ConvergencePolicy { DowntimeTarget = TimeSpan.FromHours(1) }.Evaluate(iterations));
    }

    [Fact]
    public void Floor_WinsOverTheIterationLimit_BecauseItSaysMore()
    {
        var policy = new ConvergencePolicy { MaxIterations = 1 };
        Assert.Equal(PreCopyStopReason.PagesWrittenFloor, policy.Evaluate([Stats.Of(3)]));
    }

    [Fact]
    public void Evaluate_RejectsAnEmptyHistory()
    {
        Assert.Throws<ArgumentException>(() => Defaults.Evaluate([]));
    }
}
