using System.Net.Sockets;
using Phaul.IntegrationTests.Migration;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>
/// Post-copy through real CRIU with client and server in one process: the tree resumes on the destination
/// before its memory, which then follows; failures before the resume leave it on the source, a broken
/// connection after it loses the process without leaving anything behind.
/// </summary>
public sealed class PostCopyMigrationTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 180_000)]
    public async Task PostCopy_MovesA256MiBWorkload_WhichVerifiesAllOfItsMemoryIntact_AndReportsRealNumbers()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = PostCopyPair.Create(criuPath);
        using var workload = await Workload.StartAsync(memoryMiB: 256, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        var report = await pair.Client(sourcePid).MigrateAsync(Ct);
        var restoredPid = report.RestoredPid ?? throw new Xunit.Sdk.XunitException("the report names no restored pid");
        workload.AdoptRestored(restoredPid);
        await workload.WaitForProgressAsync(1, Progress, Ct);
        var after = await workload.WaitForAllMemoryVerifiedAsync(Progress, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToJson());
        TestContext.Current.TestOutputHelper?.WriteLine($"largest gap the workload saw: {after.MaxGapMicroseconds / 1000.0:F0} ms");
        Assert.Equal(0, after.BadWords);
        Assert.True(after.Counter > before.Counter, $"counter {after.Counter} after the migration, {before.Counter} before");
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Progress), $"the source pid {sourcePid} still runs");
        Assert.True(workload.IsRunning);

        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        Assert.Equal(MigrationStrategy.PostCopy, report.RequestedStrategy);
        Assert.Null(report.StrategyNote);
        Assert.Empty(report.Iterations);
        PostCopyFigures.AssertReal(report, memoryMiB: 256);
        await pair.AssertNothingLeftRunningAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task RestoreRefusedBeforeCriuRanIt_TheWorkloadRunsOnAtTheSource_WithItsMemoryIntact()
    {
        // Failure handled: the destination's restore fails before it reaches the lazy-pages daemon; the source's
        // CRIU waits for a lazy client that never comes and must be ended, the tree continued.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = PostCopyPair.Create(criuPath);
        using var workload = await Workload.StartAsync(memoryMiB: 64, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        var error = await Assert.ThrowsAsync<MigrationException>(
            () => pair.Client(workload.Pid, localOptions: new InProcessLocalOptions { ConfigureRestore = o => o.LogFile = "no/subdirs" })
                      .MigrateAsync(Ct));

        await AssertRunsOnAtTheSourceAsync(workload, before, error, pair);
        Assert.IsType<CriuException>(error.InnerException);
    }

    [Fact(Timeout = 120_000)]
    public async Task RestoreFailedAtItsLastStepBeforeTheResume_TheWorkloadRunsOnAtTheSource_WithItsMemoryIntact()
    {
        // Failure handled: the restore fails in CRIU's post-restore notification, after the restored tree handed its
        // userfaultfds to the daemon; the daemon then ends the source's lazy dump, which leaves the tree stopped.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = PostCopyPair.Create(criuPath);
        pair.DestinationCriu.FailAtPostRestore = true;
        using var workload = await Workload.StartAsync(memoryMiB: 64, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        var error = await Assert.ThrowsAsync<MigrationException>(() => pair.Client(workload.Pid).MigrateAsync(Ct));

        await AssertRunsOnAtTheSourceAsync(workload, before, error, pair);
        Assert.Same(pair.DestinationCriu.PostRestoreFailure, error.InnerException?.InnerException);
    }

    [Fact(Timeout = 120_000)]
    public async Task ConnectionCutAfterTheResume_LosesTheProcessOnBothSides_WithinTheDeadlines_AndSaysSo()
    {
        // Failure handled: the memory connection breaks right after the destination resumed the tree (in CRIU's
        // post-resume notification), with most of its 256 MiB still on the source. Both copies must go and nothing may hang.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = PostCopyPair.Create(criuPath, new PhaulServerOptions { PostCopyTimeout = TimeSpan.FromSeconds(60) });
        using var workload = await Workload.StartAsync(memoryMiB: 256, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var restoredPid = 0;
        IReadOnlyList<int> servingCriu = [];
        // The source's CRIU stops serving before the resume (it would otherwise send all 256 MiB before the
        // cut now and then) and goes on, to find the connection gone, once it is cut.
        pair.DestinationCriu.AtPostRestore = _ => servingCriu = ProcessTable.Signal(ProcessTable.CriuHolding(pair.Source.FullName), "STOP");
        pair.DestinationCriu.AtPostResume = pid =>
        {
            restoredPid = pid;
            workload.AdoptRestored(pid); // whatever happens, disposing the workload kills the restored tree
            pair.DestinationEnd.Shutdown(SocketShutdown.Both);
            ProcessTable.Signal(servingCriu, "CONT");
        };
        await workload.WaitForProgressAsync(20, Progress, Ct);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<MigrationException>(() => pair.Client(sourcePid).MigrateAsync(Ct));

        TestContext.Current.TestOutputHelper?.WriteLine($"{clock.Elapsed.TotalMilliseconds:F0} ms: {error.Message}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the failure took {clock.Elapsed}");
        Assert.NotEmpty(servingCriu);
        Assert.True(error.ProcessLost);
        Assert.False(error.FinalStageCompleted);
        Assert.Contains("The process was lost", error.Message, StringComparison.Ordinal);
        var lost = Assert.IsType<ProcessLostException>(error.InnerException);
        Assert.Equal(restoredPid, lost.RestoredPid);
        Assert.True(await ProcessTable.WaitGoneAsync(restoredPid, Progress), $"the restored pid {restoredPid} still runs");
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Progress), $"the source pid {sourcePid} still runs");
        await pair.AssertNothingLeftRunningAsync();
    }

    private static async Task AssertRunsOnAtTheSourceAsync(Workload workload, WorkloadStatus before, MigrationException error, PostCopyPair pair)
    {
        TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);
        var verified = await workload.WaitForAllMemoryVerifiedAsync(Progress, Ct);
        Assert.False(error.FinalStageCompleted);
        Assert.False(error.ProcessLost);
        Assert.Contains("left running on the source", error.Message, StringComparison.Ordinal);
        Assert.True(workload.IsRunning);
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, verified.BadWords);
        await pair.AssertNothingLeftRunningAsync();
    }
}
