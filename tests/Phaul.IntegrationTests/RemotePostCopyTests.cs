using System.Diagnostics;
using Phaul.IntegrationTests.Migration;
using Phaul.IntegrationTests.PostCopy;
using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>
/// Post-copy through Phaul.Transport over loopback TCP with real CRIU on both ends: the tree resumes on the
/// destination before its memory, which follows over the memory connection; a connection cut after the
/// resume loses the process on both sides, within the deadlines, without leaving anything behind.
/// </summary>
[Collection(typeof(PostCopyRuns))]
public sealed class RemotePostCopyTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PhaulClientOptions PostCopyOnly => new() { Strategy = MigrationStrategy.PostCopy, AllowFallback = false };

    [Fact(Timeout = 180_000)]
    public async Task A_256_MiB_workload_moves_by_post_copy_over_the_transport_and_verifies_every_page_intact()
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 256, cancellationToken: Ct);
        await using var ends = new RemoteEnds();
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        MigrationReport report;
        RestoredTree restored;
        await using (var connection = await ends.ConnectAsync())
        {
            report = await ends.Client(connection, sourcePid, PostCopyOnly).MigrateAsync(Ct);
            restored = connection.Restored!;
        }
        workload.AdoptRestored(restored.Pid);
        await workload.WaitForProgressAsync(1, Progress, Ct);
        var after = await workload.WaitForAllMemoryVerifiedAsync(Progress, Ct);

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(report.ToJson());
        output?.WriteLine($"largest gap the workload saw: {after.MaxGapMicroseconds / 1000.0:F0} ms");
        Assert.Equal(0, after.BadWords);
        Assert.True(after.Counter > before.Counter, $"counter {after.Counter} after the migration, {before.Counter} before");
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Progress), $"the source pid {sourcePid} still runs");
        Assert.Equal((restored.Pid, null), ((await ends.SessionEnded.WaitAsync(Progress, Ct)).RestoredPid, (await ends.SessionEnded).Error));

        Assert.Equal((MigrationStrategy.PostCopy, restored.Pid), (report.Strategy, report.RestoredPid));
        PostCopyFigures.AssertReal(report, memoryMiB: 256);
        AssertNothingHolds(ends);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_connection_cut_after_the_resume_loses_the_process_on_both_sides_within_the_deadlines_and_says_so()
    {
        // Failure handled: both connections break as soon as the destination answered that the tree runs, with
        // most of its 256 MiB still on the source. Both copies must go, both ends must say so, nothing may hang.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 256, cancellationToken: Ct);
        await using var ends = new RemoteEnds();
        var sourcePid = workload.Pid;
        await workload.WaitForProgressAsync(20, Progress, Ct);
        MigrationConnection? connection = null;
        var options = new MigrationConnectionOptions { AfterLazyRestore = () => connection!.Sever() };
        connection = await ends.ConnectAsync(options);

        var clock = Stopwatch.StartNew();
        MigrationException error;
        await using (connection)
        {
            error = await Assert.ThrowsAsync<MigrationException>(() => ends.Client(connection, sourcePid, PostCopyOnly).MigrateAsync(Ct));
        }
        var session = await ends.SessionEnded.WaitAsync(Progress, Ct);

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"{clock.Elapsed.TotalMilliseconds:F0} ms; source: {error.Message}");
        output?.WriteLine($"destination: {session.Error?.Message}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the failure took {clock.Elapsed}");
        Assert.True(error.ProcessLost);
        Assert.Contains("The process was lost", error.Message, StringComparison.Ordinal);
        var lost = Assert.IsType<ProcessLostException>(error.InnerException);
        var restoredPid = lost.RestoredPid ?? throw new Xunit.Sdk.XunitException("the loss names no restored pid");
        workload.AdoptRestored(restoredPid); // whatever happens, disposing the workload kills the restored tree
        Assert.Null(session.RestoredPid);
        Assert.Contains($"pid {restoredPid}", session.Error!.Message, StringComparison.Ordinal);
        Assert.Contains("lost", session.Error.Message, StringComparison.Ordinal);
        Assert.True(await ProcessTable.WaitGoneAsync(restoredPid, Progress), $"the restored pid {restoredPid} still runs");
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Progress), $"the source pid {sourcePid} still runs");
        AssertNothingHolds(ends);
    }

    private static void AssertNothingHolds(RemoteEnds ends)
    {
        Assert.Empty(ProcessTable.HoldersOf(ends.Destination));
        Assert.Empty(ProcessTable.HoldersOf(ends.Source));
    }
}
