using System.Diagnostics;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Session;

/// <summary>Dumps and restores a real workload through Criu, and proves what failures leave behind.</summary>
public sealed class CriuDumpRestoreTests : IDisposable
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-it-dump-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task DumpAndRestore_TheWorkloadContinuesWhereItStopped_AndEveryNotifyFiresInCriusOrder()
    {
        using var criu = new Criu(CriuTestEnvironment.RequireCriu());
        // Its own network namespace makes CRIU lock and unlock the network, so all nine notifications fire.
        using var workload = await Workload.StartWithOwnNetworkAsync(memoryMiB: 32, Ct);
        await workload.WaitForProgressAsync(20, Progress, Ct);
        using var images = ImagesDirectory.Open(_dir.FullName);
        var notify = new NotifyRecorder();

        var clock = Stopwatch.StartNew();
        await criu.DumpAsync(new CriuOpts { Pid = workload.Pid, ImagesDirFd = images.Fd, LogFile = "dump.log", LogLevel = 4 }, notify, Ct);
        var dumpTime = clock.Elapsed;
        await workload.WaitForExitAsync(Progress, Ct);
        var atDump = workload.ReadStatus();
        clock.Restart();
        var pid = await criu.RestoreAsync(new CriuOpts { ImagesDirFd = images.Fd, LogFile = "restore.log", LogLevel = 4 }, notify, Ct);
        var restoreTime = clock.Elapsed;
        workload.AdoptRestored(pid);
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        var dumpStats = await CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"32 MiB workload: DumpAsync {dumpTime.TotalMilliseconds:F0} ms (frozen {dumpStats.FrozenTime / 1000.0:F0} ms, " +
            $"{dumpStats.PagesWritten} pages), RestoreAsync {restoreTime.TotalMilliseconds:F0} ms, " +
            $"largest gap the workload saw {after.MaxGapMicroseconds / 1000.0:F0} ms");
        Assert.Equal(["PreDump", "NetworkLock", "PostDump", "PreRestore", $"SetupNamespaces({pid})", "PostSetupNamespaces",
                      $"PostRestore({pid})", "NetworkUnlock", "PostResume"], notify.Calls);
        // A restarted workload would count from 0; the restored one goes on from where the dump froze it.
        Assert.True(after.Counter >= atDump.Counter + 50, $"counter {after.Counter} after restore, {atDump.Counter} at the dump");
        Assert.True(after.VerifiedWords > atDump.VerifiedWords);
        Assert.Equal(0, after.BadWords);
        Assert.True(dumpStats.PagesWritten > 0);
        Assert.True(dumpStats.FrozenTime > 0);
    }

    [Fact(Timeout = 120_000)]
    public async Task DumpFailedByANotifyHandler_LeavesTheWorkloadRunningWithItsStateIntact()
    {
        // Failure handled: the post-dump handler throws while the tree is frozen and fully dumped.
        using var criu = new Criu(CriuTestEnvironment.RequireCriu());
        using var workload = await Workload.StartAsync(memoryMiB: 16, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);
        using var images = ImagesDirectory.Open(_dir.FullName);
        var notify = new NotifyRecorder(throwOn: "PostDump");

        var error = await Assert.ThrowsAsync<CriuException>(
            () => criu.DumpAsync(new CriuOpts { Pid = workload.Pid, ImagesDirFd = images.Fd, LogFile = "dump.log", LogLevel = 4 }, notify, Ct));
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        Assert.Same(notify.Failure, error.InnerException);
        Assert.Contains(error.LogTail, line => line.Contains("Dumping FAILED", StringComparison.Ordinal));
        Assert.True(workload.IsRunning);
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, after.BadWords);
    }

    [Fact(Timeout = 120_000)]
    public async Task DumpCancelledMidWay_IsUndoneByCriuItself_AndTheWorkloadRunsOnWithItsNetworkUnlocked()
    {
        // Failure handled: cancellation once CRIU started the dump. CRIU is not killed (the tree would run on with its
        // network locked): its post-dump notification is answered "failed", and CRIU unlocks and resumes the tree.
        using var criu = new Criu(CriuTestEnvironment.RequireCriu());
        using var workload = await Workload.StartWithOwnNetworkAsync(memoryMiB: 16, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);
        using var images = ImagesDirectory.Open(_dir.FullName);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var notify = new CancellingNotify(cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => criu.DumpAsync(new CriuOpts { Pid = workload.Pid, ImagesDirFd = images.Fd, LogFile = "dump.log" }, notify, cancel.Token));
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        Assert.True(notify.Started);
        Assert.False(notify.PostDumpCalled); // the cancelled dump's handler is not asked to go on
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, after.BadWords);
        Assert.DoesNotContain("CRIU", NetworkRules(workload.Pid), StringComparison.Ordinal);
    }

    private static string NetworkRules(int pid)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(
            "/bin/sh", ["-c", $"nsenter --net=/proc/{pid}/ns/net iptables-save 2>/dev/null; nsenter --net=/proc/{pid}/ns/net nft list ruleset 2>/dev/null"])
            { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    [Fact(Timeout = 120_000)]
    public async Task PreDump_MatchesWhatFeatureCheckSaysAboutMemoryTracking()
    {
        using var criu = new Criu(CriuTestEnvironment.RequireCriu());
        using var workload = await Workload.StartAsync(memoryMiB: 8, cancellationToken: Ct);
        using var images = ImagesDirectory.Open(_dir.FullName);
        var tracking = (await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true }, Ct)).MemTrack;
        var opts = new CriuOpts { Pid = workload.Pid, ImagesDirFd = images.Fd, LogFile = "pre-dump.log", TrackMem = true };

        var error = await Record.ExceptionAsync(() => criu.PreDumpAsync(opts, null, Ct));
        var after = await workload.WaitForProgressAsync(20, Progress, Ct);

        if (tracking)
            Assert.Null(error);
        else
            Assert.NotEmpty(Assert.IsType<CriuException>(error).LogTail);  // without soft-dirty bits CRIU's pre-dump fails
        Assert.Equal(0, after.BadWords);
    }

    private sealed class CancellingNotify(CancellationTokenSource cancel) : CriuNotifyBase
    {
        public bool Started { get; private set; }

        public bool PostDumpCalled { get; private set; }

        // The first notification of a dump: cancelling here fails every later one, post-dump included.
        public override async Task PreDumpAsync()
        {
            Started = true;
            await cancel.CancelAsync();
        }

        public override Task PostDumpAsync()
        {
            PostDumpCalled = true;
            return Task.CompletedTask;
        }
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
