using Phaul.Cli.Migration;
using Phaul.Transport;

namespace Phaul.Cli.Tests.Commands;

public class ReportWriterTests
{
    private static readonly int PageSize = Environment.SystemPageSize;

    [Fact]
    public void A_pre_copy_report_shows_every_iteration_the_final_dump_the_restore_and_the_times()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.PreCopy,
            Strategy = MigrationStrategy.PreCopy,
            StopReason = PreCopyStopReason.SkippedShareGoal,
            Iterations =
            [
                new IterationReport { Index = 0, Duration = TimeSpan.FromMilliseconds(310), Dump = Dump(written: 16_384, skipped: 0, frozenMs: 12) },
                new IterationReport { Index = 1, Duration = TimeSpan.FromMilliseconds(95), Dump = Dump(written: 256, skipped: 16_128, frozenMs: 4) },
            ],
            FinalDump = Dump(written: 40, skipped: 16_344, frozenMs: 180),
            Restore = new RestoreStatistics { PagesRestored = 16_384, RestoreTime = TimeSpan.FromMilliseconds(120), ForkingTime = TimeSpan.FromMilliseconds(3) },
            RestoredPid = 5678,
            FinalStageDuration = TimeSpan.FromMilliseconds(450),
            Duration = TimeSpan.FromMilliseconds(1620),
        };
        var restored = new RestoredTree(5678, report.Restore, 12, 190_000, TimeSpan.FromMilliseconds(230));

        var lines = Render(new MigrationOutcome(1234, report, restored, "192.0.2.7:7480"));

        Assert.Equal("Migrated pid 1234 to 192.0.2.7:7480; it runs there as pid 5678.", lines[0]);
        Assert.Equal("  strategy      pre-copy, 2 pre-dump(s); stopped because most pages were unchanged since the previous pre-dump", lines[1]);
        Assert.Equal($"  iteration 0   pre-dump 16,384 pages ({Mib(16_384)}) written, 0 unchanged since the previous iteration, tree frozen 12 ms, took 310 ms", lines[2]);
        Assert.Equal($"  iteration 1   pre-dump 256 pages ({Mib(256)}) written, 16,128 unchanged since the previous iteration, tree frozen 4 ms, took 95 ms", lines[3]);
        Assert.StartsWith("  final dump    40 pages (", lines[4], StringComparison.Ordinal);
        Assert.EndsWith("written, 16,344 unchanged since the previous iteration, tree frozen 180 ms", lines[4], StringComparison.Ordinal);
        Assert.Equal("  image files   12 files (185.5 KiB) sent with the tree frozen; transfer and restore took 230 ms", lines[5]);
        Assert.Equal($"  restore       16,384 pages ({Mib(16_384)}) restored in 120 ms (forking 3 ms)", lines[6]);
        Assert.StartsWith("  final stage   450 ms", lines[7], StringComparison.Ordinal);
        Assert.Equal("  restored pid  5678 on the destination", lines[8]);
        Assert.Equal("  total         1.62 s", lines[9]);
        Assert.Equal(10, lines.Length);
    }

    [Fact]
    public void A_stop_and_copy_report_without_statistics_says_what_is_missing()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.StopAndCopy,
            Strategy = MigrationStrategy.StopAndCopy,
            StopReason = PreCopyStopReason.MemoryTrackingUnavailable,
            Duration = TimeSpan.FromSeconds(2),
        };

        var lines = Render(new MigrationOutcome(1234, report, null, "dest.example:7480"));

        Assert.Equal("Migrated pid 1234 to dest.example:7480.", lines[0]);
        Assert.Contains("stop-and-copy: the kernel does not track dirty memory", lines[1], StringComparison.Ordinal);
        Assert.Equal("  final dump    (no statistics from CRIU)", lines[2]);
        Assert.Equal("  restore       no statistics from the destination", lines[3]);
        Assert.Contains(lines, line => line == "  restored pid  not reported");
        Assert.DoesNotContain(lines, line => line.Contains("iteration", StringComparison.Ordinal) && line.StartsWith("  iteration", StringComparison.Ordinal));
    }

    [Fact]
    public void A_migration_that_ended_badly_after_the_restore_shows_what_the_destination_said()
    {
        var restore = new RestoreStatistics { PagesRestored = 256, RestoreTime = TimeSpan.FromMilliseconds(40) };
        var restored = new RestoredTree(5678, restore, 9, 4096, TimeSpan.FromMilliseconds(300));

        var lines = Render(new MigrationOutcome(1234, null, restored, "192.0.2.7:7480", "the migration was interrupted too late to cancel"));

        Assert.Equal("Migrated pid 1234 to 192.0.2.7:7480; it runs there as pid 5678.", lines[0]);
        Assert.Equal("  no report     the migration was interrupted too late to cancel", lines[1]);
        Assert.StartsWith("  image files   9 files (4.0 KiB)", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("  restore       256 pages (", lines[3], StringComparison.Ordinal);
        Assert.Equal("  restored pid  5678 on the destination", lines[4]);
        Assert.Equal(5, lines.Length);
    }

    [Fact]
    public void A_post_copy_report_shows_the_downtime_phases_the_last_page_and_where_the_pages_came_from()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.Auto,
            Strategy = MigrationStrategy.PostCopy,
            StrategyNote = "post-copy instead of hybrid: the source's kernel does not track dirty memory",
            StopReason = PreCopyStopReason.MemoryTrackingUnavailable,
            PostCopy = new PostCopyReport
            {
                FreezeToResume = TimeSpan.FromMilliseconds(252),
                FreezeToImagesWritten = TimeSpan.FromMilliseconds(70),
                ImagesToDaemonReady = TimeSpan.FromMilliseconds(45),
                Restore = TimeSpan.FromMilliseconds(137),
                PagesToFetch = 262_157,
                PagesTransferred = 262_157,
                PagesOnDemand = 12,
                LastPageAfterResume = TimeSpan.FromMilliseconds(1480),
            },
            RestoredPid = 5678,
            FinalStageDuration = TimeSpan.FromMilliseconds(1900),
            Duration = TimeSpan.FromMilliseconds(2100),
        };

        var lines = Render(new MigrationOutcome(1234, report, null, "192.0.2.7:7480"));

        Assert.Equal("  strategy      post-copy (auto): the kernel does not track dirty memory (no soft-dirty bits), so no pre-dumps", lines[1]);
        Assert.Equal("  note          post-copy instead of hybrid: the source's kernel does not track dirty memory", lines[2]);
        Assert.Equal("  final dump    lazy: everything but the memory, which stayed on the source until asked for", lines[3]);
        Assert.Equal("  downtime      252 ms from the freeze to the resume on the destination: images written 70 ms, " +
                     "to the lazy-pages daemon ready 45 ms, restore 137 ms", lines[4]);
        Assert.Equal("  last page     1.48 s after the resume", lines[5]);
        Assert.Equal("  pages         262,157 pages (" + Units.Bytes(262_157.0 * PageSize) + ") followed the tree: 12 on demand (touched before they arrived), " +
                     "262,145 in the background", lines[6]);
        Assert.Equal("  restore       no statistics from the destination", lines[7]);
        Assert.Equal("  final stage   1.90 s (until the last page arrived; the tree ran on the destination after its downtime)", lines[8]);
        Assert.Equal("  restored pid  5678 on the destination", lines[9]);
        Assert.Equal(11, lines.Length);
    }

    [Fact]
    public void A_stop_and_copy_report_shows_where_the_downtime_went()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.StopAndCopy,
            Strategy = MigrationStrategy.StopAndCopy,
            Freeze = new FreezeReport
            {
                FreezeToImagesWritten = TimeSpan.FromMilliseconds(35),
                ImageTransfer = TimeSpan.FromMilliseconds(18),
                Restore = TimeSpan.FromMilliseconds(52),
                HandOver = TimeSpan.FromMilliseconds(14),
            },
            RestoredPid = 5678,
            FinalStageDuration = TimeSpan.FromMilliseconds(230),
            Duration = TimeSpan.FromMilliseconds(400),
        };

        var lines = Render(new MigrationOutcome(1234, report, null, "192.0.2.7:7480"));

        Assert.Contains("  downtime      119 ms from the freeze to the destination's word that the tree runs: images written 35 ms, " +
                        "image transfer 18 ms, restore 52 ms, hand-over 14 ms", lines);
    }

    [Fact]
    public void An_auto_report_shows_what_was_measured_each_prediction_and_the_choice()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.Auto,
            Strategy = MigrationStrategy.StopAndCopy,
            Forecast = new MigrationForecast
            {
                MemoryBytes = 64L << 20,
                LinkBytesPerSecond = 1L << 30,
                LinkRoundTrip = TimeSpan.FromMilliseconds(0.4),
                Strategies =
                [
                    new StrategyForecast(MigrationStrategy.StopAndCopy, TimeSpan.FromMilliseconds(90), TimeSpan.FromMilliseconds(250)),
                    new StrategyForecast(MigrationStrategy.PostCopy, TimeSpan.FromMilliseconds(85), TimeSpan.FromMilliseconds(600)),
                ],
                Choice = "stop-and-copy (90 ms downtime, 250 ms in all): within 10% of the shortest predicted downtime",
            },
            RestoredPid = 5678,
            Duration = TimeSpan.FromMilliseconds(400),
        };

        var lines = Render(new MigrationOutcome(1234, report, null, "192.0.2.7:7480"));

        Assert.Contains("  measured      64.0 MiB of memory, link 1.00 GiB/s, round trip 0.40 ms, dirty rate not measured", lines);
        Assert.Contains("  predicted     stop-and-copy 90 ms downtime, 250 ms in all; post-copy 85 ms downtime, 600 ms in all", lines);
        Assert.Contains("  choice        stop-and-copy (90 ms downtime, 250 ms in all): within 10% of the shortest predicted downtime", lines);
        var unmeasured = Render(new MigrationOutcome(1234, report with { Forecast = report.Forecast with { LinkBytesPerSecond = null } }, null, "192.0.2.7:7480"));
        Assert.Contains("  measured      64.0 MiB of memory, link round trip 0.40 ms (bandwidth not measured: no choice depended on it), dirty rate not measured",
                        unmeasured);
    }

    [Fact]
    public void A_hybrid_report_shows_its_pre_dumps_then_post_copy()
    {
        var report = new MigrationReport
        {
            Pid = 1234,
            RequestedStrategy = MigrationStrategy.Hybrid,
            Strategy = MigrationStrategy.Hybrid,
            StopReason = PreCopyStopReason.PagesWrittenFloor,
            Iterations = [new IterationReport { Index = 0, Duration = TimeSpan.FromMilliseconds(300), Dump = Dump(written: 16_384, skipped: 0, frozenMs: 10) }],
            PostCopy = new PostCopyReport { ImagesToDaemonReady = TimeSpan.FromMilliseconds(40), Restore = TimeSpan.FromMilliseconds(60) },
            Duration = TimeSpan.FromSeconds(1),
        };

        var lines = Render(new MigrationOutcome(1234, report, null, "dest.example:7480"));

        Assert.Equal("  strategy      hybrid: pre-copy, 1 pre-dump(s); stopped because the last pre-dump sent few pages; then post-copy for the rest", lines[1]);
        Assert.StartsWith("  iteration 0   pre-dump 16,384 pages", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("  final dump    lazy:", lines[3], StringComparison.Ordinal);
        // Failure handled: CRIU left no dump statistics and logged no page counts (log level below 4).
        Assert.Equal("  downtime      not known from the freeze (no CRIU dump statistics); after the images were written: " +
                     "to the lazy-pages daemon ready 40 ms, restore 60 ms", lines[4]);
        Assert.Equal("  last page     not reported", lines[5]);
        Assert.Equal("  pages         counts not reported (CRIU logs them only at log level 4)", lines[6]);
        Assert.DoesNotContain(lines, line => line.StartsWith("  note", StringComparison.Ordinal));
    }

    private static DumpStatistics Dump(ulong written, ulong skipped, int frozenMs) =>
        new() { PagesWritten = written, PagesSkippedParent = skipped, FrozenTime = TimeSpan.FromMilliseconds(frozenMs) };

    private static string Mib(ulong pages) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{pages * (ulong)PageSize / 1024.0 / 1024:0.0} MiB");

    private static string[] Render(MigrationOutcome outcome)
    {
        var output = new StringWriter();
        ReportWriter.Write(output, outcome);
        return output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }
}
