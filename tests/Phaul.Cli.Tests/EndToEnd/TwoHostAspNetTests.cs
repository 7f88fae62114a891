using System.Globalization;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// A real .NET service through <c>phaul migrate</c>: an ASP.NET Core app in its own PID and network namespaces on the
/// source "host", <c>phaul serve</c> on the destination, the default strategy.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostAspNetTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_ASP_NET_Core_service_keeps_its_in_memory_counter_through_phaul_migrate_with_the_default_strategy()
    {
        // Failure handled: every .NET process reserves ~256 GiB of address space, which CRIU's lazy restore cannot map at a
        // destination with vm.overcommit_memory=0 (the restore failed after the freeze); auto must pick what this host's
        // setting can restore, whatever it is, and the service's memory must arrive intact.
        await using var ends = await ServiceOnTwoHosts.StartAsync();
        var (hosts, dir, key, service) = (ends.Hosts, ends.Directory, ends.Key, ends.Service);
        var sourcePid = service.Pid;
        long before = 0;
        for (var request = 1; request <= 3; request++)
            before = await service.CountAsync(Patience, Ct);

        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, key, "--json", dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var report = MigrationReport.FromJson(await File.ReadAllTextAsync(dir.File("report.json"), Ct));
        service.AdoptRestored(Assert.NotNull(report.RestoredPid));
        var after = await service.CountAsync(Patience, Ct);
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Stderr);
        Assert.Equal(3, before);
        Assert.Equal(before + 1, after); // a restarted service would answer 1
        Assert.False(Workload.IsProcessRunning(sourcePid), $"the source's pid {sourcePid} still runs");
        if (OvercommitHere() != 1)
        {
            // Both "hosts" are this machine: its setting is the destination's, and it rules out a lazy restore of a .NET tree.
            Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
            Assert.Contains("vm.overcommit_memory", report.StrategyNote, StringComparison.Ordinal);
            Assert.Contains("fix: sysctl vm.overcommit_memory=1 on the destination", migrate.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_explicit_post_copy_without_fallback_of_an_ASP_NET_service_is_refused_before_the_freeze_when_the_destination_cannot_map_it()
    {
        // Failure handled: --strategy postcopy --no-fallback towards a destination whose vm.overcommit_memory (this machine's
        // real setting, not a fake) makes CRIU's lazy restore fail with ENOMEM after the freeze: phaul must refuse before
        // freezing, name the setting and the fix, and leave the service running on the source with its state.
        await using var ends = await ServiceOnTwoHosts.StartAsync();
        var (hosts, key, service) = (ends.Hosts, ends.Key, ends.Service);
        var sourcePid = service.Pid;
        var before = await service.CountAsync(Patience, Ct);

        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, key, "--strategy", "postcopy", "--no-fallback");
        var exitCode = await migrate.WaitForExitAsync(Patience);

        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Transcript);
        if (OvercommitHere() == 1)
        {
            // A host that can map it: post-copy itself must then work for a .NET tree.
            Assert.True(exitCode == 0, migrate.Transcript);
            service.AdoptRestored(MigratedPid(migrate.Stdout));
            Assert.Equal(before + 1, await service.CountAsync(Patience, Ct));
            return;
        }
        Assert.Equal((int)ExitCode.Failed, exitCode);
        Assert.Contains("vm.overcommit_memory = ", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("fix: sysctl vm.overcommit_memory=1 on the destination", migrate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("final dump", migrate.Stderr, StringComparison.Ordinal); // refused before anything froze
        Assert.Empty(migrate.Stdout);
        Assert.Equal(sourcePid, service.Pid);
        Assert.True(Workload.IsProcessRunning(sourcePid));
        Assert.Equal(before + 1, await service.CountAsync(Patience, Ct));
    }

    /// <summary>Two "hosts", a key, <c>phaul serve</c> on the destination and the service on the source; disposing ends them all.</summary>
    private sealed class ServiceOnTwoHosts : IAsyncDisposable
    {
        private PhaulProcess? _serve;

        private ServiceOnTwoHosts(TwoHosts hosts, TempDirectory directory)
        {
            Hosts = hosts;
            Directory = directory;
            Key = TwoHostCli.NewKey(directory);
        }

        public TwoHosts Hosts { get; }

        public TempDirectory Directory { get; }

        public string Key { get; }

        public AspNetService Service { get; private set; } = null!;

        public static async Task<ServiceOnTwoHosts> StartAsync()
        {
            CriuTestEnvironment.RequireCriu();
            TwoHosts.Require();
            var ends = new ServiceOnTwoHosts(await TwoHosts.CreateAsync(), new TempDirectory());
            try
            {
                ends._serve = await TwoHostCli.StartServeAsync(ends.Hosts, ends.Directory.File("sessions"), ends.Key);
                ends.Service = await AspNetService.StartAsync(ends.Hosts.Source, Ct);
                return ends;
            }
            catch
            {
                await ends.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Service?.Dispose();
            if (_serve is not null)
                await _serve.DisposeAsync();
            Hosts.Dispose();
            Directory.Dispose();
        }
    }

    private static int MigratedPid(string stdout) =>
        int.Parse(System.Text.RegularExpressions.Regex.Match(stdout, @"it runs there as pid (\d+)\.").Groups[1].Value, CultureInfo.InvariantCulture);

    private static int OvercommitHere() =>
        int.Parse(File.ReadAllText("/proc/sys/vm/overcommit_memory").Trim(), CultureInfo.InvariantCulture);
}
