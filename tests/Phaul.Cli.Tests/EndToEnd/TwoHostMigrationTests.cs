using System.Globalization;
using System.Text.RegularExpressions;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// <c>phaul serve</c> on one "host" and <c>phaul migrate</c> on another: two network namespaces
/// joined by a veth pair, the built CLI in each, the workload on the source.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostMigrationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_workload_migrated_with_phaul_migrate_continues_on_the_other_host_with_its_state()
    {
        await using var run = await Run.StartAsync(memoryMiB: 32, dirtyPagesPerTick: 4);
        var (hosts, dir, key, serve, workload) = (run.Hosts, run.Dir, run.Key, run.Serve, run.Workload);
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();

        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, key, "--json", dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var report = MigrationReport.FromJson(await File.ReadAllTextAsync(dir.File("report.json"), Ct));
        var restoredPid = Assert.NotNull(report.RestoredPid);
        Assert.Equal(sourcePid, report.Pid);
        Assert.Contains($"Migrated pid {sourcePid} to {hosts.DestinationAddress}:{TwoHostCli.Port}; it runs there as pid {restoredPid}.", migrate.Stdout, StringComparison.Ordinal);
        Assert.Contains($"connecting to {hosts.DestinationAddress}:{TwoHostCli.Port}", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("final dump, the tree stays frozen", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"the tree runs on the destination as pid {restoredPid}", migrate.Stderr, StringComparison.Ordinal);
        await serve.WaitForStdoutAsync(line => line.Contains($": restored, root pid {restoredPid};", StringComparison.Ordinal), Patience, "serve to log the restore");
        Assert.Equal(hosts.Destination, await TwoHosts.NetworkNamespaceOfAsync(restoredPid));
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"phaul-migrate-pid{sourcePid}-*")); // the temporary source wdir is gone

        await workload.WaitForExitAsync(Patience, Ct); // CRIU ends the source copy after the destination restored it
        workload.AdoptRestored(restoredPid);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(after.Counter > before.Counter);
        Assert.True(after.VerifiedWords > before.VerifiedWords);
        Assert.Equal(0, after.BadWords);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{migrate.Stdout}{Environment.NewLine}workload's longest gap: {after.MaxWallGapMicroseconds / 1000} ms by the wall clock, " +
            $"{after.MaxGapMicroseconds / 1000} ms by its own monotonic clock{Environment.NewLine}progress:{Environment.NewLine}{migrate.Stderr}");
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_after_the_hand_over_exits_5_not_1_so_a_script_does_not_migrate_the_tree_again()
    {
        // Failure handled: --json names a directory, found only when the report is written after the tree moved.
        await using var run = await Run.StartAsync(memoryMiB: 8);
        var (hosts, dir, key, workload) = (run.Hosts, run.Dir, run.Key, run.Workload);
        var notAFile = Directory.CreateDirectory(dir.File("report.json")).FullName;

        await using var migrate = TwoHostCli.StartMigrate(hosts, workload.Pid, key, "--json", notAFile);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.MigratedWithWarning, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($"the tree was migrated, but the report could not be written to --json {notAFile}", migrate.Stderr, StringComparison.Ordinal);
        var migrated = Regex.Match(migrate.Stdout, @"Migrated pid (\d+) to .*; it runs there as pid (\d+)\.");
        Assert.True(migrated.Success, migrate.Transcript);
        Assert.Equal(workload.Pid, int.Parse(migrated.Groups[1].Value, CultureInfo.InvariantCulture));
        await workload.WaitForExitAsync(Patience, Ct);
        // The restored copy is the workload now: disposing the run ends it.
        workload.AdoptRestored(int.Parse(migrated.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(0, (await workload.WaitForProgressAsync(5, Patience, Ct)).BadWords);
    }

    [Fact]
    public async Task A_source_with_another_key_is_refused_and_the_workload_keeps_running_there()
    {
        // Failure handled: the two hosts hold different key files; nothing may be dumped or restored.
        CriuTestEnvironment.RequireCriu();
        TwoHosts.Require();
        using var hosts = await TwoHosts.CreateAsync();
        using var dir = new TempDirectory();
        var sessions = dir.File("sessions");
        await using var serve = await TwoHostCli.StartServeAsync(hosts, sessions, TwoHostCli.NewKey(dir, "destination.key"));
        using var workload = await Workload.StartInNetworkNamespaceAsync(hosts.Source, memoryMiB: 8, cancellationToken: Ct);
        var sourcePid = workload.Pid;

        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, TwoHostCli.NewKey(dir, "source.key"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.Equal((int)ExitCode.Failed, exitCode);
        Assert.Contains("Authentication", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Both hosts need the same key file. Pid {sourcePid} was not touched", migrate.Stderr, StringComparison.Ordinal);
        Assert.Empty(migrate.Stdout);
        Assert.DoesNotContain("images and CRIU logs", migrate.Stderr, StringComparison.Ordinal); // CRIU never ran: nothing to keep
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"phaul-migrate-pid{sourcePid}-*"));
        var after = await workload.WaitForProgressAsync(20, Patience, Ct);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(workload.IsRunning);
        Assert.Equal(0, after.BadWords);
        Assert.False(serve.HasExited);
        Assert.Empty(Directory.GetFileSystemEntries(sessions));
    }

    [Fact]
    public async Task A_destination_killed_mid_migration_leaves_the_workload_running_at_the_source_with_its_state()
    {
        // Failure handled: the destination's phaul serve dies (SIGKILL) while the final dump sends it pages,
        // with the tree frozen on the source; CRIU must resume it there.
        await using var run = await Run.StartAsync(memoryMiB: 128);
        var (hosts, dir, key, serve, workload) = (run.Hosts, run.Dir, run.Key, run.Serve, run.Workload);
        var sessions = run.Sessions;
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();

        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, key, "--wdir", dir.File("source"));
        // The page server creates its page images when the source's dump starts sending pages: the tree is
        // frozen, and the restore can only begin after all of them arrived.
        await Poll.UntilAsync(() => Directory.Exists(sessions) ? Directory.EnumerateFiles(sessions, "pages-*.img", SearchOption.AllDirectories).FirstOrDefault() : null,
                              Patience, "the destination's page server to receive pages", Ct);
        serve.Kill();
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("The tree was left running on the source.", migrate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("the tree runs on the destination", migrate.Stderr, StringComparison.Ordinal);
        var kept = Assert.Single(Directory.GetDirectories(dir.File("source")));
        Assert.Contains($"phaul migrate: images and CRIU logs: {kept}", migrate.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.GetFiles(kept, "dump.log", SearchOption.AllDirectories));
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(workload.IsRunning);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Stderr);
    }

    /// <summary>Two hosts, one key, <c>phaul serve</c> on the destination and a workload on the source: where these tests start.</summary>
    private sealed class Run : IAsyncDisposable
    {
        private Run(TwoHosts hosts, TempDirectory dir, string key, PhaulProcess serve, Workload workload) =>
            (Hosts, Dir, Key, Serve, Workload) = (hosts, dir, key, serve, workload);

        public TwoHosts Hosts { get; }
        public TempDirectory Dir { get; }
        public string Key { get; }
        public PhaulProcess Serve { get; }
        public Workload Workload { get; }
        public string Sessions => Dir.File("sessions");

        public static async Task<Run> StartAsync(int memoryMiB, int dirtyPagesPerTick = 0)
        {
            CriuTestEnvironment.RequireCriu();
            TwoHosts.Require();
            var hosts = await TwoHosts.CreateAsync();
            var dir = new TempDirectory();
            PhaulProcess? serve = null;
            try
            {
                var key = TwoHostCli.NewKey(dir, "key");
                serve = await TwoHostCli.StartServeAsync(hosts, dir.File("sessions"), key);
                var workload = await Workload.StartInNetworkNamespaceAsync(hosts.Source, memoryMiB, dirtyPagesPerTick, Ct);
                return new Run(hosts, dir, key, serve, workload);
            }
            catch
            {
                if (serve is not null)
                    await serve.DisposeAsync();
                dir.Dispose();
                hosts.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Workload.Dispose();
            await Serve.DisposeAsync();
            Dir.Dispose();
            Hosts.Dispose();
        }
    }
}
