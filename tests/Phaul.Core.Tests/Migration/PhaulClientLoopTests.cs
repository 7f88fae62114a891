using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

public class PhaulClientLoopTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PreCopy_RunsStartPreDumpStopPerIteration_ThenTheFinalStageInItsOwnIteration()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(1000, 4000));
        harness.DumpStats.Enqueue(Stats.Dump(40, 4960));   // at the 64-page floor: stop

        var report = await harness.Client(stopRules: new PhaulClientOptions { SkippedShareGoal = 1 }).MigrateAsync(Token);

        Assert.Equal(
            ["feature-check",
             "start", "pre-dump 0", "stop",
             "start", "pre-dump 1", "stop",
             "start", "pre-dump 2", "stop",
             "start", "final 2", "stop"],
            harness.Calls);
        Assert.False(harness.PageServerRunning);
        Assert.Equal(MigrationStrategy.PreCopy, report.Strategy);
        Assert.Equal(PreCopyStopReason.PagesWrittenFloor, report.StopReason);
        Assert.Equal([5000UL, 1000UL, 40UL], report.Iterations.Select(i => i.Dump!.PagesWritten));
        Assert.Equal([0, 1, 2], report.Iterations.Select(i => i.Index));
        Assert.Equal(Path.Combine(harness.Wdir, "1"), report.Iterations[1].ImagesDirectory);
    }

    [Fact]
    public async Task PreDumps_SendPagesOverMemfd_TrackMemory_AndChainEachIterationToThePreviousOneRelatively()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(10));

        await harness.Client().MigrateAsync(Token);

        Assert.Equal(2, harness.PreDumpOptions.Count);
        Assert.All(harness.PreDumpOptions, opts =>
        {
            Assert.Equal(4321, opts.Pid);
            Assert.Equal(9, opts.Ps.Fd);
            Assert.True(opts.TrackMem);
            Assert.Equal(FakeDirectories.Fd, opts.ImagesDirFd);
            Assert.Equal("pre-dump.log", opts.LogFile);
        });
        Assert.False(harness.PreDumpOptions[0].HasParentImg);
        Assert.Equal("../0", harness.PreDumpOptions[1].ParentImg);
        Assert.Equal([Path.Combine(harness.Wdir, "0"), Path.Combine(harness.Wdir, "1")], harness.Directories.Opened);
    }

    [Fact]
    public async Task ACriuClientThatRunsCriuHere_IsPreparedBeforeItsFirstRequest_AndCleanedUpAfterTheMigration()
    {
        // Any ILocalCriu, a decorator included, keeps one swrk session for the chain: no test for the concrete Criu type.
        using var harness = new LoopHarness { MemTrack = false };
        var local = harness.Criu.As<ILocalCriu>();
        local.Setup(c => c.Prepare()).Callback(() => harness.Calls.Add("prepare"));
        local.Setup(c => c.Cleanup()).Callback(() => harness.Calls.Add("cleanup"));

        await harness.Client().MigrateAsync(Token);

        Assert.Equal(["prepare", "feature-check", "start", "final -", "stop", "cleanup"], harness.Calls);
    }

    [Fact]
    public async Task WithoutMemoryTracking_SkipsPreDumps_AndRunsTheFinalStageWithoutParent()
    {
        using var harness = new LoopHarness { MemTrack = false };

        var report = await harness.Client().MigrateAsync(Token);

        Assert.Equal(["feature-check", "start", "final -", "stop"], harness.Calls);
        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, report.StopReason);
        Assert.Empty(report.Iterations);
        harness.Criu.Verify(c => c.PreDumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task PreCopyAskedFor_OnAKernelWithoutMemoryTracking_FallsBackToStopAndCopy_AndSaysWhy()
    {
        using var harness = new LoopHarness { MemTrack = false };

        var report = await harness.Client(MigrationStrategy.PreCopy).MigrateAsync(Token);

        Assert.Equal(["feature-check", "start", "final -", "stop"], harness.Calls);
        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal(MigrationStrategy.PreCopy, report.RequestedStrategy);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, report.StopReason);
        Assert.StartsWith("stop-and-copy instead of pre-copy: the source's kernel does not track dirty memory", report.StrategyNote);
    }

    [Fact]
    public async Task PreCopyAskedFor_WithoutFallback_OnAKernelWithoutMemoryTracking_IsRefusedBeforeAnyIteration()
    {
        // Handles: pre-copy required where the kernel has no soft-dirty bits.
        using var harness = new LoopHarness { MemTrack = false };

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => harness.Client(MigrationStrategy.PreCopy, allowFallback: false).MigrateAsync(Token));

        Assert.Equal(["feature-check"], harness.Calls);
        Assert.Equal(MigrationStep.CheckFeatures, error.Step);
        var refusal = Assert.IsType<StrategyUnavailableException>(error.InnerException);
        Assert.Equal(MigrationStrategy.PreCopy, refusal.Requested);
        Assert.Contains("CONFIG_MEM_SOFT_DIRTY", refusal.Message);
        Assert.Contains("left running on the source", error.Message);
    }

    [Fact]
    public async Task StopAndCopy_GoesStraightToTheFinalStage_WithoutAskingCriu()
    {
        using var harness = new LoopHarness();

        var report = await harness.Client(MigrationStrategy.StopAndCopy).MigrateAsync(Token);

        Assert.Equal(["start", "final -", "stop"], harness.Calls);
        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal(PreCopyStopReason.PreCopyDisabled, report.StopReason);
        Assert.Null(report.StrategyNote);
    }

    public static TheoryData<ulong[], ulong[], int?, PreCopyStopReason, int> StopRules => new()
    {
        // written per iteration, skipped in parent per iteration, downtime target (ms), expected reason, expected iterations
        { [5000, 4000, 3000, 2000], [0, 0, 0, 0], null, PreCopyStopReason.MaxIterations, 3 },
        { [5000, 64], [0, 0], null, PreCopyStopReason.PagesWrittenFloor, 2 },
        { [5000, 1000, 1200], [0, 0, 0], null, PreCopyStopReason.DirtyGrowth, 3 },
        { [5000, 1000], [0, 2500], null, PreCopyStopReason.SkippedShareGoal, 2 },
        { [5000, 1000], [0, 0], 400, PreCopyStopReason.DowntimeTarget, 2 },   // 1000 pages at 3000 pages/s: 333 ms
    };

    [Theory]
    [MemberData(nameof(StopRules))]
    public async Task EachStopRule_EndsPreCopyAndIsReported(ulong[] written, ulong[] skipped, int? downtimeTargetMs,
                                                             PreCopyStopReason expected, int iterations)
    {
        using var harness = new LoopHarness();
        for (var i = 0; i < written.Length; i++)
            harness.DumpStats.Enqueue(Stats.Dump(written[i], skipped[i], memwriteMicroseconds: 1_000_000));
        var stopRules = new PhaulClientOptions
        {
            MaxIterations = 3,
            SkippedShareGoal = 0.7,
            DowntimeTarget = downtimeTargetMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
        };

        var report = await harness.Client(stopRules: stopRules).MigrateAsync(Token);

        Assert.Equal(expected, report.StopReason);
        Assert.Equal(iterations, report.Iterations.Count);
        Assert.Equal($"final {iterations - 1}", harness.Calls[^2]);
    }

    [Fact]
    public async Task MissingStatistics_StopPreCopy_AsUnjudgeable()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(null);

        var report = await harness.Client().MigrateAsync(Token);

        Assert.Equal(PreCopyStopReason.StatisticsUnavailable, report.StopReason);
        Assert.Null(Assert.Single(report.Iterations).Dump);
    }

    [Fact]
    public async Task Report_TakesTheFinalStagesOutcome_WhenTheLocalReportsOne()
    {
        using var harness = new LoopHarness { MemTrack = false };
        var outcome = harness.Local.As<IPhaulLocalOutcome>();
        outcome.Setup(o => o.RestoredPid).Returns(777);
        outcome.Setup(o => o.FinalDump).Returns(Stats.Of(1234));
        outcome.Setup(o => o.Restore).Returns(new RestoreStatistics { PagesRestored = 1234 });

        var report = await harness.Client().MigrateAsync(Token);

        Assert.Equal(777, report.RestoredPid);
        Assert.Equal(1234UL, report.FinalDump!.PagesWritten);
        Assert.Equal(1234UL, report.Restore!.PagesRestored);
        Assert.Equal(4321, report.Pid);
        Assert.True(report.CompletedAt >= report.StartedAt);
        Assert.True(report.Duration >= report.FinalStageDuration);
    }

    [Fact]
    public async Task MigrateAsync_RunsOncePerClient()
    {
        using var harness = new LoopHarness { MemTrack = false };
        var client = harness.Client();
        await client.MigrateAsync(Token);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.MigrateAsync(Token));
        Assert.Single(harness.Calls, "feature-check");
    }
}
