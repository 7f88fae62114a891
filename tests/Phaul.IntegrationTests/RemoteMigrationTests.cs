using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>Migrations through Phaul.Transport over loopback TCP with real CRIU on both ends.</summary>
public class RemoteMigrationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(MigrationStrategy.StopAndCopy, false)]
    [InlineData(MigrationStrategy.Auto, true)] // both ends support post-copy, predicted far shorter than stop-and-copy for 16 MiB
    public async Task A_workload_migrated_over_the_transport_continues_with_its_state(MigrationStrategy strategy, bool lazily)
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        var before = workload.ReadStatus();
        var originalPid = workload.Pid;

        MigrationReport report;
        RestoredTree restored;
        await using (var connection = await ends.ConnectAsync())
        {
            report = await ends.Client(connection, workload.Pid, new PhaulClientOptions { Strategy = strategy }).MigrateAsync(Ct);
            restored = connection.Restored!;
        }

        Assert.Equal((lazily, restored.Pid), (report.PostCopy is not null, report.RestoredPid));
        // The forecast was made from real measurements: the tree's memory, the link on this connection (its bandwidth only
        // when auto had a choice to make with it).
        var forecast = Assert.IsType<MigrationForecast>(report.Forecast);
        Assert.InRange(forecast.MemoryBytes, 16L << 20, 64L << 20);
        Assert.True(forecast.LinkRoundTrip > TimeSpan.Zero, $"{forecast}");
        Assert.Equal(strategy == MigrationStrategy.Auto, forecast.LinkBytesPerSecond > 1e6);
        Assert.Equal(report.Strategy, forecast.Strategies[0].Strategy);
        // Without post-copy the report accounts for the downtime phase by phase, CRIU's real log included.
        Assert.Equal(!lazily, report.Freeze is not null);
        if (report.Freeze is { } freeze)
        {
            Assert.True(freeze.FreezeToImagesWritten > TimeSpan.Zero, $"{freeze}");
            Assert.True(freeze.FreezeToResume < report.FinalStageDuration, $"{freeze} against a final stage of {report.FinalStageDuration}");
            Assert.Equal(restored.TransferAndRestoreTime, freeze.ImageTransfer + freeze.Restore + freeze.HandOver);
        }
        Assert.Equal(restored.Pid, (await ends.SessionEnded.WaitAsync(Patience, Ct)).RestoredPid);
        await WaitUntilGoneAsync(originalPid);
        workload.AdoptRestored(restored.Pid);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
        Assert.True(after.VerifiedWords > before.VerifiedWords);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"remote migration: strategy {report.Strategy}, {restored.ImageFiles} image files ({restored.ImageBytes} bytes), " +
            $"transfer+restore {restored.TransferAndRestoreTime.TotalMilliseconds:0} ms, final stage {report.FinalStageDuration.TotalMilliseconds:0} ms, " +
            $"workload's longest gap {after.MaxGapMicroseconds / 1000} ms, total {report.Duration.TotalMilliseconds:0} ms; phases {report.Freeze}");
    }

    [Fact]
    public async Task A_source_with_the_wrong_key_is_refused_and_the_workload_keeps_running()
    {
        // Failure handled: mismatched key files; nothing may be dumped or restored.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 8, cancellationToken: Ct);
        await using var ends = new RemoteEnds();

        var refused = await Assert.ThrowsAsync<TransportException>(() =>
            MigrationConnection.ConnectAsync(ends.Listener.LocalEndPoint, PreSharedKey.Generate(), cancellationToken: Ct));
        Assert.Equal(TransportPhase.Authentication, refused.Phase);

        await workload.WaitForProgressAsync(20, Patience, Ct);
        Assert.True(workload.IsRunning);
        Assert.Empty(Directory.GetFileSystemEntries(ends.Destination));
    }

    [Fact]
    public async Task A_destination_stopped_mid_migration_leaves_the_workload_running_at_the_source_with_its_state()
    {
        // Failure handled: the destination dies after the final iteration started, before it restored anything.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        await using var connection = await ends.ConnectAsync();
        var remote = new StopDestinationAfterStartIter(connection.Remote, ends.Listener);
        var config = new PhaulConfig { Pid = workload.Pid, Memfd = connection.Memfd, Wdir = ends.Source };

        var failure = await Assert.ThrowsAsync<MigrationException>(() =>
            PhaulClient.MakePhaulClient(connection.Local, remote, config).MigrateAsync(Ct));

        Assert.Null(connection.Restored);
        var cause = Assert.IsType<TransportException>(failure.InnerException);
        Assert.True(cause.FailedOnDestination);
        Assert.Equal(TransportPhase.FinalDump, cause.Phase);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(workload.IsRunning);
        Assert.Equal(0, after.BadWords);
        TestContext.Current.TestOutputHelper?.WriteLine($"destination stopped mid-migration: {failure.Message}");
    }

    // CRIU kills the source tree once the post-dump notification returned; PID 1 may reap it late.
    private static async Task WaitUntilGoneAsync(int pid) =>
        await Poll.UntilAsync(() => File.Exists($"/proc/{pid}/status") && !IsZombie(pid) ? null : "gone", Patience, $"source pid {pid} to end", Ct);

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Stops the whole destination service right after it started an iteration.</summary>
    private sealed class StopDestinationAfterStartIter(IPhaulRemote inner, MigrationListener listener) : IPhaulRemote
    {
        public async Task StartIterAsync(CancellationToken cancellationToken = default)
        {
            await inner.StartIterAsync(cancellationToken);
            await listener.DisposeAsync();
        }

        public Task StopIterAsync(CancellationToken cancellationToken = default) => inner.StopIterAsync(cancellationToken);
    }
}
