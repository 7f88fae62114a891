using Phaul.Transport;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>
/// The destination's vm.overcommit_memory in the strategy choice, with real CRIU and the transport on loopback. The
/// destination's reported settings are faked (its PhaulServers read them through <see cref="MigrationDependencies"/>),
/// so the host's sysctl is never changed; the tree's mappings are the real workload's.
/// </summary>
[Collection(typeof(PostCopyRuns))]
public sealed class DestinationOvercommitTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(30);

    // Heuristic overcommit on a destination with 16 MiB of RAM + swap: the workload's 64 MiB mapping cannot be premapped there.
    private static readonly DestinationMemory TooSmall = new(DestinationMemory.Heuristic, 16L << 20, 8L << 20, 0);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task An_explicit_post_copy_to_a_destination_whose_overcommit_cannot_map_the_tree_is_refused_before_the_freeze_and_the_tree_runs_on()
    {
        // Failure handled: CRIU's lazy restore would fail after the freeze with "Unable to map ANON_VMA: Cannot allocate memory";
        // the source must refuse before touching the tree, name vm.overcommit_memory and the fix.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 64, cancellationToken: Ct);
        await using var ends = new RemoteEnds(destinationDependencies: MigrationDependencies.Default with { ReadDestinationMemory = () => TooSmall });
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        MigrationException error;
        await using (var connection = await ends.ConnectAsync())
        {
            var client = ends.Client(connection, sourcePid, new PhaulClientOptions { Strategy = MigrationStrategy.PostCopy, AllowFallback = false });
            error = await Assert.ThrowsAsync<MigrationException>(() => client.MigrateAsync(Ct));
        }
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(error.ToString());
        Assert.Equal(MigrationStep.CheckFeatures, error.Step);
        Assert.False(error.FinalStageCompleted);
        var refusal = Assert.IsType<StrategyUnavailableException>(error.InnerException);
        var why = Assert.Single(refusal.Missing);
        Assert.Contains("vm.overcommit_memory = 0 (heuristic)", why, StringComparison.Ordinal);
        Assert.Contains($"pid {sourcePid} has one of", why, StringComparison.Ordinal);
        Assert.EndsWith("fix: sysctl vm.overcommit_memory=1 on the destination", why, StringComparison.Ordinal);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(workload.IsRunning);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
        Assert.Empty(Directory.EnumerateFiles(ends.Destination, "*.img", SearchOption.AllDirectories)); // nothing was dumped
    }

    [Fact(Timeout = 120_000)]
    public async Task Auto_towards_such_a_destination_migrates_by_stop_and_copy_and_the_report_says_why()
    {
        // Failure handled: auto must not pick post-copy (which this kernel otherwise allows) when the destination cannot map the tree.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 64, cancellationToken: Ct);
        await using var ends = new RemoteEnds(destinationDependencies: MigrationDependencies.Default with { ReadDestinationMemory = () => TooSmall });
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        MigrationReport report;
        await using (var connection = await ends.ConnectAsync())
            report = await ends.Client(connection, workload.Pid).MigrateAsync(Ct);
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(20, Progress, Ct);

        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Contains("vm.overcommit_memory = 0 (heuristic)", report.StrategyNote, StringComparison.Ordinal);
        Assert.Contains("sysctl vm.overcommit_memory=1", report.StrategyNote, StringComparison.Ordinal);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
    }
}
