using System.Net;
using Phaul.Cli.Migration;

namespace Phaul.Cli.Tests.Commands;

public class ProgressLinesTests
{
    [Fact]
    public void A_pre_dump_line_shows_the_iteration_pages_bytes_and_frozen_time()
    {
        var dump = new DumpStatistics { PagesWritten = 2560, PagesSkippedParent = 14000, FrozenTime = TimeSpan.FromMilliseconds(9) };

        var line = ProgressLines.Describe(new(MigrationProgressKind.PreDumpCompleted) { Iteration = 1, Dump = dump });

        Assert.Equal($"iteration 1: pre-dump sent 2,560 pages ({Units.Bytes(2560.0 * Environment.SystemPageSize)}), 14000 pages unchanged, tree frozen 9 ms", line);
    }

    [Fact]
    public void Phases_and_transfers_get_a_line()
    {
        Assert.Equal("iteration 2: final dump, the tree stays frozen until it runs on the destination",
                     ProgressLines.Describe(new(MigrationProgressKind.FinalStageStarting) { Iteration = 2, Strategy = MigrationStrategy.PreCopy }));
        Assert.EndsWith("lazy: its memory stays here until asked for",
                          ProgressLines.Describe(new(MigrationProgressKind.FinalStageStarting) { Iteration = 0, Strategy = MigrationStrategy.PostCopy }),
                          StringComparison.Ordinal);
        Assert.Equal("sent 12 image files (1.5 MiB); the destination restores",
                     ProgressLines.Describe(new(MigrationProgressKind.ImagesSent) { Files = 12, Bytes = 1536L * 1024 }));
        Assert.Equal("iteration 3: pre-copy stops: the iteration limit was reached",
                     ProgressLines.Describe(new(MigrationProgressKind.PreCopyStopped) { Iteration = 3, StopReason = PreCopyStopReason.MaxIterations }));
        Assert.Equal("strategy: post-copy instead of hybrid: no soft-dirty",
                     ProgressLines.Describe(new(MigrationProgressKind.StrategyChosen) { Strategy = MigrationStrategy.PostCopy, Detail = "post-copy instead of hybrid: no soft-dirty" }));
    }

    [Fact]
    public void A_hook_phase_gets_a_line_with_its_figures()
    {
        var hook = new MigrationHookReport
        {
            Hook = "files", Phase = MigrationHookPhase.WhileFrozen, Duration = TimeSpan.FromMilliseconds(12),
            Figures = new Dictionary<string, long> { ["filesTransferred"] = 3, ["bytesSent"] = 12 * 1024 },
        };

        Assert.Equal("files, freeze: 3 files sent, 12.0 KiB sent, 12 ms with the tree frozen",
                     ProgressLines.Describe(new(MigrationProgressKind.HookCompleted) { Hook = hook }));
    }

    [Fact]
    public void Post_copy_steps_get_a_line_and_a_lost_process_says_so()
    {
        Assert.Equal("the tree runs on the destination as pid 5678", ProgressLines.Describe(new(MigrationProgressKind.Restored) { Pid = 5678 }));
        Assert.Equal("every page arrived: 262,157 pages, 12 pages of them on demand",
                     ProgressLines.Describe(new(MigrationProgressKind.AllPagesArrived) { Pages = 262_157, PagesOnDemand = 12 }));
        // Failure handled: CRIU below log level 4 logs no page counts.
        Assert.Equal("every page arrived: ? pages, ? pages of them on demand", ProgressLines.Describe(new(MigrationProgressKind.AllPagesArrived)));
        // Failure handled: the connection broke after the resume; the destination killed its copy.
        Assert.Equal("PROCESS LOST: restored pid 5678 on the destination is gone: the connection broke",
                     ProgressLines.Describe(new(MigrationProgressKind.ProcessLost) { Pid = 5678, Detail = "the connection broke" }));
        Assert.Equal("the final stage failed: the tree runs on the source again (the restore failed)",
                     ProgressLines.Describe(new(MigrationProgressKind.SourceResumed) { Detail = "the restore failed" }));
    }

    [Fact]
    public void Each_step_and_the_connection_get_one_timed_line()
    {
        var output = new StringWriter();
        var progress = new ProgressLines(output);

        progress.Connecting(new IPEndPoint(IPAddress.Loopback, 7480));
        progress.Connected("127.0.0.1:7480", "ab", encrypted: true);
        ((IProgress<MigrationProgress>)progress).Report(new(MigrationProgressKind.Restored) { Pid = 4321 });

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^\[ *\d+ ms\] connecting to 127\.0\.0\.1:7480$", lines[0]);
        Assert.Matches(@"^\[ *\d+ ms\] connected to 127\.0\.0\.1:7480, session ab, encrypted$", lines[1]);
        Assert.Matches(@"^\[ *\d+ ms\] the tree runs on the destination as pid 4321$", lines[2]);
    }
}
