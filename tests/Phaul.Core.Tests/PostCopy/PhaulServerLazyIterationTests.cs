using Moq;
using Phaul.Core.Tests.Fakes;
using Phaul.Core.Tests.Migration;
using Phaul.Rpc;

namespace Phaul.Core.Tests.PostCopy;

public class PhaulServerLazyIterationTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task LazyIteration_StartsTheDaemonOnMemfd_RestoresLazily_AndEndsWhenEveryPageArrived()
    {
        using var harness = new LazyServerHarness();

        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        await harness.Server.StartLazyPagesAsync(Deadlines.Ct).WithDeadline();
        var pid = await harness.Server.RestoreLazilyAsync(new CriuOpts { LogFile = "restore.log", LogLevel = 3 }, Deadlines.Ct).WithDeadline();
        var pages = await harness.Server.WaitForLazyPagesAsync(Deadlines.Ct).WithDeadline();
        await harness.Server.StopIterAsync(Deadlines.Ct).WithDeadline();

        Assert.Equal(LazyServerHarness.RestoredPid, pid);
        Assert.Equal(harness.LazyDir, harness.Server.LastImagesDir);
        var args = File.ReadAllText(Path.Combine(harness.LazyDir, "daemon-args")).Trim();
        Assert.Equal($"lazy-pages --page-server --ps-socket 3 --status-fd 4 -D {harness.LazyDir} -o lazy-pages.log -v4", args);
        Assert.Equal(new FileInfo($"/proc/self/fd/{harness.MemoryFd}").LinkTarget, File.ReadAllText(Path.Combine(harness.LazyDir, "daemon-fd3")).Trim());
        var restore = Assert.Single(harness.RestoreOptions);
        Assert.True(restore.LazyPages);
        Assert.Equal(FakeDirectories.Fd, restore.ImagesDirFd);
        Assert.Equal("restore.log", restore.LogFile);
        Assert.Equal(3, restore.LogLevel);
        Assert.Equal(100UL, pages.PagesTransferred);
        Assert.Equal(1UL, pages.PagesOnDemand);
        Assert.Equal(99UL, pages.PagesInBackground);
        Assert.NotNull(pages.RestoreTime);
        Assert.NotNull(pages.LastPageAfterResume);
        Assert.Empty(harness.Trees.Calls);
        Assert.True(FakePageServersGone(LazyServerHarness.DaemonPid(harness.LazyDir)));
    }

    [Fact]
    public async Task ALazyIterationAfterAnother_LinksItsParent_LikeAPageServerIteration()
    {
        using var harness = new LazyServerHarness();
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        await harness.Server.StopIterAsync(Deadlines.Ct);

        await harness.Server.StartLazyIterAsync(Deadlines.Ct);

        Assert.Equal(Path.Combine(harness.Wdir, "1"), harness.Server.LastImagesDir);
        Assert.Equal("../0", new FileInfo(Path.Combine(harness.Wdir, "1", "parent")).LinkTarget);
    }

    [Fact]
    public async Task ADaemonThatDiesBeforeItIsReady_FailsTheStart_WithItsLog()
    {
        // Handles: criu lazy-pages exits at once (e.g. no images, no userfaultfd).
        using var harness = new LazyServerHarness { DaemonScript = "echo '(00.01) Error (criu/uffd.c:1): uffd: boom' >> \"$log\"; exit 1" };
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);

        var error = await Assert.ThrowsAsync<LazyPagesDaemonException>(() => harness.Server.StartLazyPagesAsync(Deadlines.Ct)).WithDeadline();

        Assert.Contains("exited with code 1 before it was ready", error.Message);
        Assert.Contains(error.LogTail, line => line.Contains("boom", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADaemonThatNeverGetsReady_IsKilledAtTheStartDeadline()
    {
        // Handles: criu lazy-pages hangs before listening.
        using var harness = new LazyServerHarness(new PhaulServerOptions { LazyPagesStartTimeout = TimeSpan.FromMilliseconds(300) })
        {
            DaemonScript = "sleep 30",
        };
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);

        var error = await Assert.ThrowsAsync<LazyPagesDaemonException>(() => harness.Server.StartLazyPagesAsync(Deadlines.Ct)).WithDeadline();

        Assert.Contains("was not ready within", error.Message);
        Assert.True(await WaitGoneAsync(LazyServerHarness.DaemonPid(harness.LazyDir)));
    }

    [Fact]
    public async Task ADaemonThatFailsAfterTheRestore_LosesTheProcess_AndKillsTheRestoredTree()
    {
        // Handles: the connection to the source breaks after the resume (the daemon exits non-zero).
        using var harness = new LazyServerHarness
        {
            DaemonScript = $"{LazyServerHarness.Ready}; {LazyServerHarness.AwaitRestore}; " +
                           "echo '(00.3) Error (criu/page-xfer.c:1660): page-xfer: Remote side closed connection' >> \"$log\"; exit 1",
        };
        await StartAndRestoreAsync(harness);

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => harness.Server.WaitForLazyPagesAsync(Deadlines.Ct)).WithDeadline();
        var again = await Assert.ThrowsAsync<ProcessLostException>(() => harness.Server.StopIterAsync(Deadlines.Ct)).WithDeadline();

        Assert.Same(lost, again);
        Assert.Equal(LazyServerHarness.RestoredPid, lost.RestoredPid);
        var daemon = Assert.IsType<LazyPagesDaemonException>(lost.InnerException);
        Assert.Contains(daemon.LogTail, line => line.Contains("Remote side closed connection", StringComparison.Ordinal));
        Assert.Equal([$"kill {LazyServerHarness.RestoredPid}"], harness.Trees.Calls);
    }

    [Fact]
    public async Task PagesThatDoNotArriveInTime_LoseTheProcess_AndTheDaemonIsKilled()
    {
        // Handles: a connection that goes silent after the resume.
        using var harness = new LazyServerHarness(new PhaulServerOptions { PostCopyTimeout = TimeSpan.FromMilliseconds(800) })
        {
            DaemonScript = $"{LazyServerHarness.Ready}; sleep 30",
        };
        await StartAndRestoreAsync(harness);

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => harness.Server.WaitForLazyPagesAsync(Deadlines.Ct)).WithDeadline();

        Assert.Contains("did not move every page within", lost.InnerException!.Message);
        Assert.True(await WaitGoneAsync(LazyServerHarness.DaemonPid(harness.LazyDir)));
        Assert.Equal([$"kill {LazyServerHarness.RestoredPid}"], harness.Trees.Calls);
    }

    [Fact]
    public async Task StopIterWithoutARestore_KillsTheWaitingDaemonAtOnce()
    {
        // Handles: the source failed before restoring; the daemon would wait for a restore forever.
        using var harness = new LazyServerHarness(new PhaulServerOptions { PostCopyTimeout = TimeSpan.FromMinutes(5) });
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        await harness.Server.StartLazyPagesAsync(Deadlines.Ct).WithDeadline();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await harness.Server.StopIterAsync(Deadlines.Ct).WaitAsync(Quick, Deadlines.Ct);

        Assert.True(clock.Elapsed < Quick);
        Assert.True(await WaitGoneAsync(LazyServerHarness.DaemonPid(harness.LazyDir)));
        Assert.Empty(harness.Trees.Calls);
    }

    [Fact]
    public async Task ARestoreThatFails_KillsTheTreeCriuReportedSoFar_AndIsNoLoss()
    {
        // Handles: the restore fails (or is cancelled) after CRIU forked the root; a killed CRIU would leave it hanging.
        using var harness = new LazyServerHarness { RestoreFailure = new CriuException(CriuReqType.Restore, "restore failed") };
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        await harness.Server.StartLazyPagesAsync(Deadlines.Ct).WithDeadline();

        var error = await Assert.ThrowsAsync<CriuException>(
            () => harness.Server.RestoreLazilyAsync(new CriuOpts(), Deadlines.Ct)).WithDeadline();
        await harness.Server.StopIterAsync(Deadlines.Ct).WithDeadline();

        Assert.Same(harness.RestoreFailure, error);
        Assert.Equal([$"kill {LazyServerHarness.RestoredPid}"], harness.Trees.Calls);
        Assert.True(await WaitGoneAsync(LazyServerHarness.DaemonPid(harness.LazyDir)));
    }

    [Fact]
    public async Task CancellingStopIterBeforeEveryPageArrived_LosesTheProcess_AndSaysSo()
    {
        // Handles: the destination gives up on a transfer in progress.
        using var harness = new LazyServerHarness { DaemonScript = $"{LazyServerHarness.Ready}; sleep 30" };
        await StartAndRestoreAsync(harness);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => harness.Server.StopIterAsync(cancel.Token)).WithDeadline();

        Assert.Contains("abandoned", lost.Message);
        Assert.Equal([$"kill {LazyServerHarness.RestoredPid}"], harness.Trees.Calls);
    }

    [Fact]
    public async Task DisposingTheServer_MidTransfer_KillsTheDaemonAndTheRestoredTree()
    {
        var harness = new LazyServerHarness { DaemonScript = $"{LazyServerHarness.Ready}; sleep 30" };
        await StartAndRestoreAsync(harness);
        var daemon = LazyServerHarness.DaemonPid(harness.LazyDir);

        harness.Server.Dispose();

        Assert.True(await WaitGoneAsync(daemon));
        Assert.True(await PollAsync(() => harness.Trees.Calls.Contains($"kill {LazyServerHarness.RestoredPid}")));
        harness.Dispose();
    }

    [Fact]
    public async Task CallsOutOfOrder_AreRefusedWithWhatToCallFirst()
    {
        using var harness = new LazyServerHarness();

        var noIteration = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Server.StartLazyPagesAsync(Deadlines.Ct));
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        var noDaemon = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Server.RestoreLazilyAsync(new CriuOpts(), Deadlines.Ct));
        var stillRunning = await Assert.ThrowsAsync<InvalidOperationException>(() => harness.Server.StartIterAsync(Deadlines.Ct));

        Assert.Contains("StartLazyIterAsync", noIteration.Message);
        Assert.Contains("StartLazyPagesAsync", noDaemon.Message);
        Assert.Contains("StopIterAsync", stillRunning.Message);
    }

    [Fact]
    public async Task The_post_copy_check_finds_no_obstacle_only_with_lazy_pages_and_a_daemon_binary()
    {
        using var harness = new LazyServerHarness();
        Assert.Null(await harness.Server.WhyPostCopyUnavailableAsync(Deadlines.Ct));

        harness.LazyPagesSupported = false;
        var noLazyPages = await harness.Server.WhyPostCopyUnavailableAsync(Deadlines.Ct);
        Assert.Contains("CONFIG_USERFAULTFD", noLazyPages);

        harness.LazyPagesSupported = true;
        harness.Criu.Setup(c => c.ResolveBinary()).Throws(new FileNotFoundException("CRIU not found: '/nonexistent/criu'"));
        var missing = await harness.Server.WhyPostCopyUnavailableAsync(Deadlines.Ct);
        Assert.Contains("cannot start CRIU's lazy-pages daemon: CRIU not found", missing);

        // A CRIU client that does not run CRIU here (not an ILocalCriu) cannot start the daemon: said, not guessed from PATH.
        var remoteOnly = new Mock<ICriu>();
        remoteOnly.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>())).ReturnsAsync(new CriuFeatures { LazyPages = true });
        using var notLocal = PhaulServer.Create(new PhaulConfig { Memfd = harness.MemoryFd, Wdir = harness.Wdir },
                                                new PhaulServerOptions { CriuFactory = () => remoteOnly.Object }, null, MigrationDependencies.Default);
        var unavailable = await notLocal.WhyPostCopyUnavailableAsync(Deadlines.Ct);
        Assert.Contains("does not run CRIU on this host (ILocalCriu)", unavailable);
    }

    private static async Task StartAndRestoreAsync(LazyServerHarness harness)
    {
        await harness.Server.StartLazyIterAsync(Deadlines.Ct);
        await harness.Server.StartLazyPagesAsync(Deadlines.Ct).WithDeadline();
        await harness.Server.RestoreLazilyAsync(new CriuOpts(), Deadlines.Ct).WithDeadline();
    }

    private static bool FakePageServersGone(int pid) => !File.Exists($"/proc/{pid}/stat") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z", StringComparison.Ordinal);

    private static Task<bool> WaitGoneAsync(int pid) => PollAsync(() => FakePageServersGone(pid));

    private static async Task<bool> PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Quick;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(10, Deadlines.Ct);
        }
        return true;
    }
}
