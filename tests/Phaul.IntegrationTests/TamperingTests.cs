using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>
/// An attacker on the path without the key flips 64 bytes of one stream mid-migration (the relay changed the
/// memory stream at offset 5,000,000 and the restored workload ran with 180 bad memory words). Every stream is TLS
/// now: the change is detected, nothing tampered reaches CRIU, and the migration fails.
/// </summary>
public class TamperingTests
{
    private const int Control = 0;
    private const int Memory = 1;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 120_000)]
    [InlineData(Control, true, 1_000L, "the control messages after the handshake")]
    [InlineData(Control, true, 4_000L, "an image file")]
    [InlineData(Memory, true, 5_000_000L, "the memory pages")]
    public async Task A_stop_and_copy_whose_stream_is_tampered_with_fails_and_the_workload_runs_on_at_the_source_intact(
        int connection, bool toDestination, long offset, string what)
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        await using var relay = TamperingRelay.Start(ends.Listener.LocalEndPoint, connection, toDestination, offset);
        var sourcePid = workload.Pid;

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => MigrateAsync(ends, relay, workload.Pid, MigrationStrategy.StopAndCopy));

        Assert.True(relay.Flipped > 0, $"the relay reached offset {offset} of {what}: {Describe(relay)}");
        Assert.IsNotType<ProcessLostException>(failure);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.Equal((sourcePid, 0L), (workload.Pid, after.BadWords));
        lock (ends.Ended)
            Assert.All(ends.Ended, session => Assert.Null(session.RestoredPid));
        TestContext.Current.TestOutputHelper?.WriteLine($"{what} tampered at {offset}: {failure.Message}\n{Describe(relay)}");
    }

    [Fact(Timeout = 120_000)]
    public async Task Post_copy_pages_tampered_with_after_the_resume_are_never_delivered_and_the_loss_is_reported()
    {
        // After the resume the source's copy is stale, so it cannot run on: what matters is that no tampered page ever
        // reaches the running tree (its copy is killed) and that both ends say the process was lost.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 64, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        await using var relay = TamperingRelay.Start(ends.Listener.LocalEndPoint, Memory, toDestination: true, offset: 5_000_000);

        var migration = await Assert.ThrowsAsync<MigrationException>(() => MigrateAsync(ends, relay, workload.Pid, MigrationStrategy.PostCopy));
        var failure = Assert.IsType<ProcessLostException>(migration.InnerException);

        Assert.True(relay.Flipped > 0, Describe(relay));
        var ended = await ends.SessionEnded.WaitAsync(Patience, Ct);
        Assert.NotNull(ended.Error);
        if (failure.RestoredPid is { } restoredPid)
            await Poll.UntilAsync(() => File.Exists($"/proc/{restoredPid}/status") ? null : "gone", Patience, $"restored pid {restoredPid} to be killed", Ct);
        await workload.WaitForExitAsync(Patience, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"source: {failure.Message}\ndestination: {ended.Error!.Message}\n{Describe(relay)}");
    }

    [Fact(Timeout = 120_000)]
    public async Task An_rsync_copy_tampered_with_fails_before_the_tree_is_touched_and_leaves_no_copy()
    {
        CriuTestEnvironment.RequireCriu();
        FileTree.RequireRsync();
        var root = Path.Combine(Path.GetTempPath(), $"phaul-tamper-rsync-{Guid.NewGuid():N}");
        var tree = Directory.CreateDirectory(Path.Combine(root, "tree")).FullName;
        var copy = Path.Combine(root, "copy");
        try
        {
            var big = new byte[8 << 20];
            Random.Shared.NextBytes(big);
            await File.WriteAllBytesAsync(Path.Combine(tree, "big"), big, Ct);
            using var workload = await Workload.StartAppendingAsync(8, Path.Combine(tree, "log"), cancellationToken: Ct);
            await using var ends = new RemoteEnds(fileSystem: new FileSystemDestinationOptions { AllowedRoots = [copy] });
            await using var relay = TamperingRelay.Start(ends.Listener.LocalEndPoint, Control, toDestination: true, offset: 4_000_000);
            var subtree = new SubtreeFileSystemOptions { Subtrees = [new FileSystemSubtree(tree) { DestinationPath = copy }] };

            var failure = await Assert.ThrowsAsync<MigrationException>(() => MigrateAsync(ends, relay, workload.Pid, MigrationStrategy.StopAndCopy,
                connection => new SubtreeFileSystem(connection.FileSystem(), subtree)));

            Assert.True(relay.Flipped > 0, Describe(relay));
            Assert.Equal(MigrationStep.RunHooks, failure.Step);
            await workload.WaitForProgressAsync(20, Patience, Ct);
            Assert.True(workload.IsRunning);
            var copied = Path.Combine(copy, "big");
            Assert.True(!File.Exists(copied) || File.ReadAllBytes(copied).AsSpan().SequenceEqual(big), "a changed copy of the file was left on the destination");
            TestContext.Current.TestOutputHelper?.WriteLine($"rsync tampered: {failure.Message}\n{Describe(relay)}");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<MigrationReport> MigrateAsync(RemoteEnds ends, TamperingRelay relay, int pid, MigrationStrategy strategy,
                                                            Func<MigrationConnection, IMigrationHook>? fileSystem = null)
    {
        await using var connection = await MigrationConnection.ConnectAsync(relay.EndPoint, ends.Key, cancellationToken: Ct);
        var options = new PhaulClientOptions { Strategy = strategy, Hooks = fileSystem?.Invoke(connection) is { } files ? [files] : [] };
        return await ends.Client(connection, pid, options).MigrateAsync(Ct);
    }

    private static string Describe(TamperingRelay relay)
    {
        lock (relay.Relayed)
            return string.Join("; ", relay.Relayed.Select((bytes, i) => $"connection {i}: {bytes.ToDestination} bytes to the destination, {bytes.ToSource} back"));
    }
}
