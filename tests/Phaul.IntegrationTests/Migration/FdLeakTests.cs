namespace Phaul.IntegrationTests.Migration;

[CollectionDefinition(DisableParallelization = true)]
public sealed class MigrationFdAccounting;

/// <summary>
/// A migration, successful or failed, leaves no fd open in this process (sockets, pidfds, CRIU's
/// output files, directories). Runs alone so other tests' fds do not blur the count.
/// </summary>
[Collection(typeof(MigrationFdAccounting))]
public sealed class FdLeakTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 180_000)]
    public async Task SuccessfulAndFailedMigrations_LeaveNoFdOpen()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        // The first round also lets the runtime open what it opens lazily (assemblies, thread pool, sockets).
        await MigrateAsync(criuPath, failRestore: false);
        await MigrateAsync(criuPath, failRestore: true);
        var before = OwnFds.List();

        await MigrateAsync(criuPath, failRestore: false);
        await MigrateAsync(criuPath, failRestore: true);

        try
        {
            await Poll.UntilAsync(() => OwnFds.List().Except(before).ToList() is { Count: 0 } none ? none : null,
                                  Progress, "the fds the migrations opened to be closed", Ct);
        }
        catch (TimeoutException)
        {
            // Name what stayed open: fd number and target.
            Assert.Empty(OwnFds.List().Except(before));
        }
    }

    // failRestore handles a restore that fails on the destination (the tree's cwd hidden), as in MigrationFailureTests.
    private static async Task MigrateAsync(string criuPath, bool failRestore)
    {
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var workload = await Workload.StartAsync(memoryMiB: 8, cancellationToken: Ct);
        await workload.WaitForProgressAsync(10, Progress, Ct);
        using var workingDirectory = new HiddenDirectory(Path.GetDirectoryName(workload.StatusFile)!);
        var client = pair.Client(workload.Pid, localOptions: failRestore ? new InProcessLocalOptions { ConfigureRestore = _ => workingDirectory.Hide() } : null);
        if (failRestore)
        {
            await Assert.ThrowsAsync<MigrationException>(() => client.MigrateAsync(Ct));
            return;
        }
        var report = await client.MigrateAsync(Ct);
        workload.AdoptRestored(report.RestoredPid!.Value);
        Assert.Equal(0, (await workload.WaitForProgressAsync(10, Progress, Ct)).BadWords);
    }
}
