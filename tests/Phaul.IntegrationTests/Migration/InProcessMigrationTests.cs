namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// A PhaulClient and a PhaulServer in one process migrate a real workload from this host to this
/// host through real CRIU: the tree ends up running under a new pid with its memory intact.
/// </summary>
public sealed class InProcessMigrationTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Migrate_MovesTheWorkloadToANewPid_WithItsCounterAndMemoryIntact_AndReportsCriusStatistics()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        var memoryTracking = await InProcessPair.MemoryTrackingAsync(criuPath, Ct);
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var workload = await Workload.StartAsync(memoryMiB: 48, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        var report = await pair.Client(sourcePid, MigrationStrategy.PreCopy).MigrateAsync(Ct);
        var restoredPid = report.RestoredPid ?? throw new Xunit.Sdk.XunitException("the report names no restored pid");
        workload.AdoptRestored(restoredPid);
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToJson());
        Assert.NotEqual(sourcePid, restoredPid);
        Assert.True(workload.IsRunning);
        Assert.True(ProcessTable.IsGone(sourcePid), $"the source pid {sourcePid} still runs");
        // A restarted workload would count from 0; the migrated one goes on from where the dump froze it.
        Assert.True(after.Counter >= before.Counter + 50, $"counter {after.Counter} after the migration, {before.Counter} before");
        Assert.True(after.VerifiedWords > before.VerifiedWords);
        Assert.Equal(0, after.BadWords);

        Assert.Equal(memoryTracking ? MigrationStrategy.PreCopy : MigrationStrategy.StopAndCopy, report.Strategy);
        if (!memoryTracking)
        {
            Assert.Equal(PreCopyStopReason.MemoryTrackingUnavailable, report.StopReason);
            Assert.Empty(report.Iterations);
        }
        var finalDump = Assert.IsType<DumpStatistics>(report.FinalDump);
        Assert.True(finalDump.PagesWritten > 0);
        Assert.True(finalDump.FrozenTime > TimeSpan.Zero);
        var restore = Assert.IsType<RestoreStatistics>(report.Restore);
        Assert.True(restore.RestoreTime > TimeSpan.Zero);
        Assert.True(report.FinalStageDuration > TimeSpan.Zero);
        Assert.True(report.Duration >= report.FinalStageDuration);
        Assert.Equal(sourcePid, report.Pid);
        Assert.Single(pair.PageServerPids);
        pair.AssertNothingLeftRunning();
    }
}
