using System.Diagnostics;
using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>The destination's disk fills up mid-migration (a small tmpfs as its Wdir), with real CRIU on both ends.</summary>
public sealed class DiskFullTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task A_destination_without_room_for_the_tree_refuses_before_the_freeze_naming_the_figures()
    {
        // Failure handled: the destination's Wdir is too small for the tree's memory: refused at StartIter, the tree never frozen.
        CriuTestEnvironment.RequireCriu();
        using var disk = SmallDisk.Mount(megabytes: 24);
        using var workload = await Workload.StartAsync(memoryMiB: 64, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds(destinationWdir: disk.Path);

        MigrationException error;
        await using (var connection = await ends.ConnectAsync())
        {
            var client = ends.Client(connection, workload.Pid, new PhaulClientOptions { Strategy = MigrationStrategy.StopAndCopy });
            error = await Assert.ThrowsAsync<MigrationException>(() => client.MigrateAsync(Ct));
        }

        Assert.Equal(MigrationStep.StartIteration, error.Step);
        Assert.Contains(" MiB free, and this iteration writes about ", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(ends.Source, "dump.log", SearchOption.AllDirectories)); // CRIU never touched the tree
        Assert.Equal(0, (await workload.WaitForProgressAsync(20, Patience, Ct)).BadWords);
        TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_disk_that_fills_up_during_the_dump_fails_the_migration_at_once_frees_the_pages_and_the_next_migration_works()
    {
        // Failure handled: the destination's page server dies of ENOSPC while the source's CRIU sends pages (the space was
        // there at StartIter; something else took it, so the check is bypassed here). The source heard it only from TCP's
        // timeout (33 s, frozen all along), the failed session's pages stayed, and every later migration to that
        // destination failed. Now the destination shuts the memory connection at once, the source resumes its tree, and
        // the failed session's images are removed.
        CriuTestEnvironment.RequireCriu();
        using var disk = SmallDisk.Mount(megabytes: 24);
        using var big = await Workload.StartAsync(memoryMiB: 64, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds(destinationWdir: disk.Path);
        var stopAndCopy = new PhaulClientOptions { Strategy = MigrationStrategy.StopAndCopy };

        var clock = Stopwatch.StartNew();
        MigrationException error;
        await using (var connection = await ends.ConnectAsync())
        {
            var unchecking = new WithoutSpaceCheck(connection.Remote);
            var client = PhaulClient.MakePhaulClient(connection.Local, unchecking, new PhaulConfig { Pid = big.Pid, Memfd = connection.Memfd, Wdir = ends.Source },
                                                     stopAndCopy);
            error = await Assert.ThrowsAsync<MigrationException>(() => client.MigrateAsync(Ct));
        }
        var failedAfter = clock.Elapsed;

        Assert.False(error.FinalStageCompleted);
        Assert.Contains("page server", error.ToString(), StringComparison.Ordinal);
        // "At once": not after a timeout. An encrypted link that was only shut down left the source's CRIU blocked on a
        // full window until the destination closed the connection 30 s later; a reset fails it in well under a second.
        Assert.True(failedAfter < TimeSpan.FromSeconds(10), $"the source heard of the destination's failure only after {failedAfter.TotalSeconds:F1} s");
        var after = await big.WaitForProgressAsync(50, Patience, Ct);
        Assert.Equal(0, after.BadWords);
        var ended = await ends.SessionEnded.WaitAsync(Patience, Ct);
        Assert.NotNull(ended.Error);
        Assert.Empty(Directory.GetFiles(disk.Path, "*.img", SearchOption.AllDirectories));
        Assert.NotEmpty(Directory.GetFiles(disk.Path, "*.log", SearchOption.AllDirectories));

        using var small = await Workload.StartAsync(memoryMiB: 4, cancellationToken: Ct);
        MigrationReport report;
        await using (var connection = await ends.ConnectAsync())
            report = await ends.Client(connection, small.Pid, stopAndCopy, subdirectory: "second").MigrateAsync(Ct);
        small.AdoptRestored(report.RestoredPid!.Value);
        Assert.Equal(0, (await small.WaitForProgressAsync(20, Patience, Ct)).BadWords);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"disk full: the migration failed {failedAfter.TotalMilliseconds:0} ms after it started, the tree ran on at the source; " +
            $"then a 4 MiB tree moved to the same destination{Environment.NewLine}{error.Message}");
    }

    /// <summary>The destination as a plain <see cref="IPhaulRemote"/>: the loop cannot ask it to check its space.</summary>
    private sealed class WithoutSpaceCheck(IPhaulRemote inner) : IPhaulRemote
    {
        public Task StartIterAsync(CancellationToken cancellationToken = default) => inner.StartIterAsync(cancellationToken);

        public Task StopIterAsync(CancellationToken cancellationToken = default) => inner.StopIterAsync(cancellationToken);
    }

    /// <summary>A tmpfs of a few megabytes, unmounted on disposal.</summary>
    private sealed class SmallDisk : IDisposable
    {
        private SmallDisk(string path) => Path = path;

        public string Path { get; }

        public static SmallDisk Mount(int megabytes)
        {
            var path = Directory.CreateTempSubdirectory("phaul-small-disk-").FullName;
            Run("mount", "-t", "tmpfs", "-o", $"size={megabytes}m,mode=0700", "tmpfs", path);
            return new SmallDisk(path);
        }

        public void Dispose()
        {
            Run("umount", "-l", Path);
            Directory.Delete(Path);
        }

        private static void Run(string program, params string[] arguments)
        {
            using var process = Process.Start(program, arguments);
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        }
    }
}
