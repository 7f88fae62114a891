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
