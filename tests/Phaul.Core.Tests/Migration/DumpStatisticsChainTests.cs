namespace Phaul.Core.Tests.Migration;

/// <summary>
/// CRIU writes running sums over a pre-dump chain; the chain turns them back into each dump's own figures.
/// The sums below are those CRIU 4.2.1 wrote for a 64 MiB workload rewriting a 256-page hot set.
/// </summary>
public class DumpStatisticsChainTests
{
    [Fact]
    public void Next_TurnsRunningSumsIntoEachDumpsOwnFigures()
    {
        var chain = new DumpStatisticsChain();

        var first = chain.Next(Sum(written: 16_411, skipped: 0, frozenMs: 367, memwriteMs: 3_784));
        var second = chain.Next(Sum(written: 16_672, skipped: 16_150, frozenMs: 896, memwriteMs: 3_877));
        var final = chain.Next(Sum(written: 16_933, skipped: 32_300, frozenMs: 7_462, memwriteMs: 4_133));

        Assert.Equal((16_411UL, 0UL, 16_411UL), Pages(first));
        Assert.Equal((261UL, 16_150UL, 16_411UL), Pages(second));
        Assert.Equal((261UL, 16_150UL, 16_411UL), Pages(final));
        Assert.Equal(TimeSpan.FromMilliseconds(529), second!.FrozenTime);
        Assert.Equal(TimeSpan.FromMilliseconds(93), second.MemwriteTime);
        Assert.Equal(TimeSpan.FromMilliseconds(6_566), final!.FrozenTime);
    }

    [Fact]
    public void Next_TakesAFileBelowThePreviousSumAsItIs()
    {
        // The failure handled: a final dump run in a session of its own writes its own figures, not a sum.
        var chain = new DumpStatisticsChain();
        chain.Next(Sum(written: 16_411, skipped: 0, frozenMs: 367, memwriteMs: 3_784));
        chain.Next(Sum(written: 16_672, skipped: 16_150, frozenMs: 896, memwriteMs: 3_877));
        var own = Sum(written: 300, skipped: 16_111, frozenMs: 120, memwriteMs: 90);

        Assert.Same(own, chain.Next(own));
    }

    [Fact]
    public void Next_AfterADumpWithoutStatistics_CannotTellTheNextDumpApart()
    {
        // The failure handled: CRIU left no stats-dump file, so the next sum covers two dumps.
        var chain = new DumpStatisticsChain();
        chain.Next(Sum(written: 16_411, skipped: 0, frozenMs: 367, memwriteMs: 3_784));

        Assert.Null(chain.Next(null));
        Assert.Null(chain.Next(Sum(written: 16_933, skipped: 32_300, frozenMs: 1_314, memwriteMs: 4_133)));
        Assert.Equal((261UL, 16_150UL, 16_411UL),
                     Pages(chain.Next(Sum(written: 17_194, skipped: 48_450, frozenMs: 1_502, memwriteMs: 4_270))));
    }

    [Fact]
    public void Next_NeverReportsANegativeTime()
    {
        var chain = new DumpStatisticsChain();
        chain.Next(Sum(written: 100, skipped: 0, frozenMs: 500, memwriteMs: 50));

        var next = chain.Next(Sum(written: 110, skipped: 100, frozenMs: 400, memwriteMs: 60));

        Assert.Equal(TimeSpan.Zero, next!.FrozenTime);
        Assert.Equal(TimeSpan.FromMilliseconds(10), next.MemwriteTime);
    }

    private static DumpStatistics Sum(ulong written, ulong skipped, int frozenMs, int memwriteMs) => new()
    {
        PagesScanned = written + skipped,
        PagesWritten = written,
        PagesSkippedParent = skipped,
        FrozenTime = TimeSpan.FromMilliseconds(frozenMs),
        MemwriteTime = TimeSpan.FromMilliseconds(memwriteMs),
    };

    private static (ulong Written, ulong Skipped, ulong Scanned) Pages(DumpStatistics? dump) =>
        (dump!.PagesWritten, dump.PagesSkippedParent, dump.PagesScanned);
}
