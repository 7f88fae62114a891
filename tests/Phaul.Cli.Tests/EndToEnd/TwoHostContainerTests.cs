using Phaul.Cli.Tests.Support;
using Phaul.Containers;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// <c>phaul migrate --container</c> on one "host" and <c>phaul serve --containers</c> on another (two network namespaces),
/// each host with its own runc root, bundle directory and cgroup parent; a busybox container counting in its root file
/// system, which both hosts share.
/// </summary>
[Collection(typeof(EndToEnd))]
public sealed class TwoHostContainerTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ContainerHosts _on = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _on = await ContainerHosts.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_on is not null)
            await _on.DisposeAsync();
    }

    [Fact]
    public async Task A_container_migrated_with_phaul_migrate_runs_in_the_destinations_runc_and_is_gone_from_the_sources()
    {
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key);

        await using var migrate = _on.StartMigrate(key, "--json", _on.Dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var there = await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct);
        Assert.Equal(ContainerStatus.Running, there?.Status);
        Assert.Contains($"container    '{_on.Id}' moved to {_on.Hosts.DestinationAddress}:{TwoHostCli.Port} by stop-and-copy: init pid {there!.Pid} there", migrate.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"destinationPid\": {there.Pid}", await File.ReadAllTextAsync(_on.Dir.File("report.json"), Ct), StringComparison.Ordinal);
        await serve.WaitForStdoutAsync(line => line.Contains($": restored, root pid {there.Pid};", StringComparison.Ordinal), Patience, "serve to report the restore");
        Assert.Null(await _on.Source.Runtime.GetStateAsync(_on.Id, Ct));
        await _on.Source.WaitForCounterAboveAsync(_on.Id, _on.Source.ReadCounter(_on.Id) + 2);
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Transcript);
    }

    [Fact]
    public async Task With_copy_rootfs_the_container_runs_on_its_own_copy_of_the_root_file_system_at_the_destination()
    {
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key);

        await using var migrate = _on.StartMigrate(key, "--copy-rootfs");
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("root file system synced in", migrate.Stdout, StringComparison.Ordinal);
        var there = await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct);
        Assert.Equal(ContainerStatus.Running, there?.Status);
        // The source's copy stopped counting; the destination's copy starts from where it stopped and goes on.
        var lastHere = _on.Source.ReadCounter(_on.Id);
        await _on.Destination.WaitForCounterAboveAsync(_on.Id, lastHere + 2);
        Assert.Equal(lastHere, _on.Source.ReadCounter(_on.Id));
        Assert.True(File.Exists(Path.Combine(_on.Destination.BundlePath(_on.Id), "rootfs", "bin", "busybox")), "the root file system was not copied");
    }

    [Fact]
    public async Task A_destination_that_takes_no_containers_refuses_and_the_container_runs_on_untouched()
    {
        // Failure handled: phaul serve without --containers; nothing may be paused or checkpointed.
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await TwoHostCli.StartServeAsync(_on.Hosts, _on.Dir.File("sessions"), key);

        await using var migrate = _on.StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($"the destination did not take container '{_on.Id}'", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("it runs on here", migrate.Stderr, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _on.Source.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
        await _on.Source.WaitForCounterAboveAsync(_on.Id, _on.Source.ReadCounter(_on.Id) + 2);
    }

    [Fact]
    public async Task An_unknown_container_or_both_pid_and_container_is_bad_input()
    {
        var key = TwoHostCli.NewKey(_on.Dir);

        await using var unknown = PhaulProcess.Start(_on.Hosts.Source, ["migrate", "--container", "phaul-no-such-container", "--runtime-root", _on.Source.RootPath,
                                                                     "--to", $"{_on.Hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key]);
        await using var both = PhaulProcess.Start(_on.Hosts.Source, ["migrate", "--container", _on.Id, "--pid", "1",
                                                                  "--to", $"{_on.Hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key]);

        Assert.Equal((int)ExitCode.BadInput, await unknown.WaitForExitAsync(Patience));
        Assert.Contains($"--container phaul-no-such-container: no such container in --runtime-root {_on.Source.RootPath}", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.BadInput, await both.WaitForExitAsync(Patience));
        Assert.Contains("Give either --pid or --container.", both.Stderr, StringComparison.Ordinal);
        await using var rounds = PhaulProcess.Start(_on.Hosts.Source, ["migrate", "--container", _on.Id, "--strategy", "postcopy", "--max-iterations", "3",
                                                                    "--to", $"{_on.Hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key]);
        Assert.Equal((int)ExitCode.BadInput, await rounds.WaitForExitAsync(Patience));
        Assert.Contains("--max-iterations with --container is the number of pre-dumps, 1 to 10, of --strategy precopy or hybrid", rounds.Stderr, StringComparison.Ordinal);
    }
}
