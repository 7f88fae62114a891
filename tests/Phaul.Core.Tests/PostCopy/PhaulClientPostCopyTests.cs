using Moq;
using Phaul.Core.Tests.Fakes;
using Phaul.Core.Tests.Migration;
using Phaul.Rpc;

namespace Phaul.Core.Tests.PostCopy;

public sealed class PhaulClientPostCopyTests : IDisposable
{
    private readonly TempDirectory _wdir = new();
    private readonly Mock<ICriu> _criu = new();
    private readonly Mock<IPhaulPostCopyRemote> _remote = new();
    private readonly Mock<IPhaulPostCopyLocal> _local = new();
    private readonly Mock<IStatsSource> _stats = new();
    private readonly List<string> _calls = [];
    private readonly PostCopyReport _postCopy = new() { Restore = TimeSpan.FromMilliseconds(40), FreezeToResume = TimeSpan.FromMilliseconds(90) };
    private bool _memTrack;
    private string? _destinationObstacle;
    private string? _pipes;
    private long? _treeMemory;
    private int _dirtySamples;

    public PhaulClientPostCopyTests()
    {
        _criu.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>()))
             .ReturnsAsync(() => Record("feature-check", new CriuFeatures { MemTrack = _memTrack }));
        _criu.Setup(c => c.PreDumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
             .Returns(() => Task.FromResult(Record("pre-dump", 0)));
        _remote.Setup(r => r.WhyPostCopyUnavailableAsync(It.IsAny<CancellationToken>())).ReturnsAsync(() => Record("check-post-copy", _destinationObstacle));
        _remote.Setup(r => r.StartIterAsync(It.IsAny<long>(), It.IsAny<CancellationToken>())).Returns(() => Task.FromResult(Record("start", 0)));
        _remote.Setup(r => r.StartLazyIterAsync(It.IsAny<CancellationToken>())).Returns(() => Task.FromResult(Record("start-lazy", 0)));
        _remote.Setup(r => r.StopIterAsync(It.IsAny<CancellationToken>())).Returns(() => Task.FromResult(Record("stop", 0)));
        _local.Setup(l => l.DumpCopyRestoreAsync(It.IsAny<ICriu>(), It.IsAny<PhaulConfig>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
              .Returns((ICriu _, PhaulConfig _, string last, CancellationToken _) => Task.FromResult(Record($"final {Name(last)}", 0)));
        _local.Setup(l => l.DumpCopyRestoreLazilyAsync(It.IsAny<ICriu>(), It.IsAny<PhaulConfig>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
              .Returns((ICriu _, PhaulConfig _, string last, CancellationToken _) => Task.FromResult(Record($"final-lazy {Name(last)}", 0)));
        _local.As<IPhaulLocalOutcome>().Setup(o => o.PostCopy).Returns(_postCopy);
        _local.As<IPhaulLocalOutcome>().Setup(o => o.RestoredPid).Returns(4242);
        _stats.Setup(s => s.ReadDumpStatsAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync(Stats.Dump(10));
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Auto_WithoutMemoryTracking_ButPostCopyAtBothEnds_RunsPostCopyInALazyIteration()
    {
        var report = await Client().MigrateAsync(Token);

        Assert.Equal(["feature-check", "check-post-copy", "start-lazy", "final-lazy -", "stop"], _calls);
        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        Assert.Equal(MigrationStrategy.Auto, report.RequestedStrategy);
        Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, report.StopReason);
        Assert.StartsWith("post-copy instead of hybrid: the source's kernel does not track dirty memory", report.StrategyNote);
        Assert.Same(_postCopy, report.PostCopy);
        Assert.Equal(4242, report.RestoredPid);
        Assert.Contains("\"postCopy\": {", report.ToJson());
        Assert.Equal(report.PostCopy, MigrationReport.FromJson(report.ToJson()).PostCopy);
    }

    [Fact]
    public async Task Auto_WithEverything_RunsHybrid_PreDumpsThenALazyFinalStageOnTopOfThem()
    {
        _memTrack = true;

        var report = await Client().MigrateAsync(Token);

        Assert.Equal(["feature-check", "check-post-copy", "start", "pre-dump", "stop", "start-lazy", "final-lazy 0", "stop"], _calls);
        Assert.Equal(MigrationStrategy.Hybrid, report.Strategy);
        Assert.Equal(PreCopyStopReason.PagesWrittenFloor, report.StopReason);
        Assert.Single(report.Iterations);
        Assert.Null(report.StrategyNote);
    }

    [Fact]
    public async Task Auto_WithAForecast_RunsThePredictedBest_AndTheReportShowsEveryPrediction_ChosenFirst()
    {
        // 1 GiB: stop-and-copy would hold the tree for seconds, pre-copy and hybrid restore it all in the freeze.
        (_memTrack, _treeMemory) = (true, 1L << 30);

        var report = await Client().MigrateAsync(Token);

        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        Assert.Equal(PreCopyStopReason.PreCopyNotPredictedBetter, report.StopReason);
        Assert.Equal(["feature-check", "check-post-copy", "start-lazy", "final-lazy -", "stop"], _calls);
        var forecast = Assert.IsType<MigrationForecast>(report.Forecast);
        Assert.Equal(1L << 30, forecast.MemoryBytes);
        Assert.Equal(0, forecast.DirtyBytesPerSecond);
        Assert.Null(forecast.LinkBytesPerSecond);
        Assert.Equal([MigrationStrategy.PreCopy, MigrationStrategy.StopAndCopy, MigrationStrategy.PostCopy, MigrationStrategy.Hybrid],
                     forecast.Strategies.Select(s => s.Strategy).Order());
        Assert.Equal(MigrationStrategy.PostCopy, forecast.Strategies[0].Strategy);
        Assert.All(forecast.Strategies, s => Assert.True(s.Downtime >= forecast.Strategies[0].Downtime));
        Assert.StartsWith("post-copy (", forecast.Choice, StringComparison.Ordinal);
        Assert.Equal(1, _dirtySamples);
    }

    [Fact]
    public async Task A_strategy_asked_for_is_predicted_alone_and_the_dirty_rate_is_not_sampled_when_no_pre_copy_can_run()
    {
        _treeMemory = 64L << 20;

        var report = await Client(MigrationStrategy.StopAndCopy).MigrateAsync(Token);

        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        var predicted = Assert.Single(report.Forecast!.Strategies);
        Assert.Equal(MigrationStrategy.StopAndCopy, predicted.Strategy);
        Assert.Equal("stop-and-copy: asked for", report.Forecast.Choice);
        Assert.Null(report.Forecast.DirtyBytesPerSecond);
        Assert.Equal(0, _dirtySamples);
    }

    [Fact]
    public async Task A_link_probe_that_fails_fails_the_migration_before_anything_started_or_froze()
    {
        // Failure handled: the destination died or the link was cut during the probe; the tree keeps running untouched.
        _treeMemory = 64L << 20;
        _remote.As<ILinkProbe>().Setup(p => p.MeasureLinkAsync(It.IsAny<bool>(), It.IsAny<CancellationToken>()))
               .ThrowsAsync(new IOException("connection reset by peer"));

        var error = await Assert.ThrowsAsync<MigrationException>(() => Client().MigrateAsync(Token));

        Assert.IsType<IOException>(error.InnerException);
        Assert.False(error.FinalStageCompleted);
        Assert.DoesNotContain(_calls, call => call.StartsWith("start", StringComparison.Ordinal) || call.StartsWith("final", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_while_the_dirty_rate_is_sampled_ends_the_migration_before_anything_started_or_froze()
    {
        // Ctrl-C during the measurements: nothing on the destination, nothing frozen.
        (_memTrack, _treeMemory) = (true, 64L << 20);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var client = Client(sampleDirtyRate: async (_, _, token) =>
        {
            await cancel.CancelAsync();
            token.ThrowIfCancellationRequested();
            return 0;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.MigrateAsync(cancel.Token));

        Assert.DoesNotContain(_calls, call => call.StartsWith("start", StringComparison.Ordinal) || call.StartsWith("final", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_the_trees_memory_there_is_no_forecast_and_auto_keeps_the_fixed_order()
    {
        _memTrack = true;

        var report = await Client().MigrateAsync(Token);

        Assert.Null(report.Forecast);
        Assert.Equal(MigrationStrategy.Hybrid, report.Strategy);
    }

    [Fact]
    public async Task PostCopyAskedFor_WhereTheDestinationCannot_FallsBack_NamingTheDestinationsReason()
    {
        _destinationObstacle = "the destination has no userfaultfd";

        var report = await Client(MigrationStrategy.PostCopy).MigrateAsync(Token);

        Assert.Equal(["feature-check", "check-post-copy", "start", "final -", "stop"], _calls);
        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal("stop-and-copy instead of post-copy: the destination has no userfaultfd; " +
                     "the source's kernel does not track dirty memory (CRIU's mem_track is off: the kernel needs CONFIG_MEM_SOFT_DIRTY=y)",
                     report.StrategyNote);
        Assert.Null(report.PostCopy);
    }

    [Fact]
    public async Task PostCopyAskedFor_WithoutFallback_IsRefusedBeforeAnyIteration_WithTheFix()
    {
        // Handles: post-copy required, the source's pipes too small for CRIU's lazy page server.
        _pipes = "fs.pipe-max-size too small (fix: sysctl -w fs.pipe-max-size=8388608)";

        var error = await Assert.ThrowsAsync<MigrationException>(() => Client(MigrationStrategy.PostCopy, allowFallback: false).MigrateAsync(Token));

        Assert.Equal(["check-post-copy"], _calls);
        Assert.Equal(MigrationStep.CheckFeatures, error.Step);
        var refusal = Assert.IsType<StrategyUnavailableException>(error.InnerException);
        Assert.Equal([_pipes], refusal.Missing);
        Assert.Contains("sysctl -w fs.pipe-max-size=8388608", error.Message);
        Assert.Contains("left running on the source", error.Message);
    }

    [Fact]
    public async Task EndsWithoutThePostCopyInterfaces_CannotPostCopy_AndTheNoteSaysWhichIsMissing()
    {
        using var harness = new LoopHarness { MemTrack = false };

        var report = await harness.Client(MigrationStrategy.PostCopy).MigrateAsync(Token);

        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Contains(nameof(IPhaulPostCopyLocal), report.StrategyNote);
        Assert.Contains(nameof(IPhaulPostCopyRemote), report.StrategyNote);
    }

    [Fact]
    public async Task ALostProcess_IsReportedOnce_AsLost_NotAsLeftOnTheSource()
    {
        // Handles: the lazy final stage lost the process after the resume; the destination's StopIter reports the same loss.
        var lost = new ProcessLostException(4242, "its lazy-pages daemon failed before every page had arrived");
        _local.Setup(l => l.DumpCopyRestoreLazilyAsync(It.IsAny<ICriu>(), It.IsAny<PhaulConfig>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
              .ThrowsAsync(lost);
        _remote.Setup(r => r.StopIterAsync(It.IsAny<CancellationToken>())).Returns(() => Task.FromException(Record("stop", lost)));

        var error = await Assert.ThrowsAsync<MigrationException>(() => Client(MigrationStrategy.PostCopy).MigrateAsync(Token));

        Assert.Equal(["feature-check", "check-post-copy", "start-lazy", "stop"], _calls);
        Assert.True(error.ProcessLost);
        Assert.False(error.FinalStageCompleted);
        Assert.Null(error.CleanupFailure);
        Assert.Same(lost, error.InnerException);
        Assert.Contains("The process was lost: it runs on neither side.", error.Message);
        Assert.DoesNotContain("left running on the source", error.Message);
    }

    [Fact]
    public async Task ALazyFinalStageThatFailsBeforeTheResume_LeavesTheTreeOnTheSource()
    {
        // Handles: the destination's restore failed; the lazy local resumed the source.
        _local.Setup(l => l.DumpCopyRestoreLazilyAsync(It.IsAny<ICriu>(), It.IsAny<PhaulConfig>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
              .ThrowsAsync(new CriuException(CriuReqType.Restore, "restore failed"));

        var error = await Assert.ThrowsAsync<MigrationException>(() => Client(MigrationStrategy.PostCopy).MigrateAsync(Token));

        Assert.False(error.ProcessLost);
        Assert.Equal(MigrationStep.DumpCopyRestore, error.Step);
        Assert.Contains("left running on the source", error.Message);
        Assert.Equal("stop", _calls[^1]);
    }

    private PhaulClient Client(MigrationStrategy strategy = MigrationStrategy.Auto, bool allowFallback = true,
                               Func<int, long, CancellationToken, Task<double?>>? sampleDirtyRate = null) =>
        PhaulClient.Create(_local.Object, _remote.Object, new PhaulConfig { Pid = 4321, Memfd = 9, Wdir = _wdir.Path },
                           new PhaulClientOptions { Strategy = strategy, AllowFallback = allowFallback, CriuFactory = () => _criu.Object },
                           null, new MigrationDependencies(_stats.Object, new FakeDirectories(), new FakeMemorySocket())
                           {
                               PipeSizeCheck = () => _pipes,
                               ReadTreeMemory = _ => _treeMemory,
                               SampleDirtyRate = sampleDirtyRate ?? ((_, _, _) => Task.FromResult<double?>(++_dirtySamples * 0.0)),
                           });

    private T Record<T>(string call, T result)
    {
        _calls.Add(call);
        return result;
    }

    private string Name(string last) => last.Length == 0 ? "-" : Path.GetRelativePath(_wdir.Path, last);

    public void Dispose() => _wdir.Dispose();
}
