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

    private readonly string _id = "phaul-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TempDirectory _dir = new();
    private TwoHosts? _hosts;
    private RuncHost _source = null!;
    private RuncHost _destination = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        CriuTestEnvironment.RequireCriu();
        RuncTestEnvironment.RequireContainers();
        TwoHosts.Require();
        _hosts = await TwoHosts.CreateAsync();
        _source = new RuncHost("source");
        _destination = new RuncHost("destination");
        await _source.CreateCounterBundleAsync(_id);
        await _source.RunAsync(_id, _hosts.Source);
        await _source.WaitForCounterAboveAsync(_id, 2);
    }

    public async ValueTask DisposeAsync()
    {
        if (_destination is not null)
            await _destination.DisposeAsync();
        if (_source is not null)
            await _source.DisposeAsync();
        _hosts?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_container_migrated_with_phaul_migrate_runs_in_the_destinations_runc_and_is_gone_from_the_sources()
    {
        var key = TwoHostCli.NewKey(_dir);
        await using var serve = await StartServeAsync(key);

        await using var migrate = StartMigrate(key, "--json", _dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var there = await _destination.Runtime.GetStateAsync(_id, Ct);
        Assert.Equal(ContainerStatus.Running, there?.Status);
        Assert.Contains($"container    '{_id}' moved to {_hosts!.DestinationAddress}:{TwoHostCli.Port}: init pid {there!.Pid} there", migrate.Stdout, StringComparison.Ordinal);
        Assert.Contains($"\"destinationPid\": {there.Pid}", await File.ReadAllTextAsync(_dir.File("report.json"), Ct), StringComparison.Ordinal);
        await serve.WaitForStdoutAsync(line => line.Contains($": restored, root pid {there.Pid};", StringComparison.Ordinal), Patience, "serve to report the restore");
        Assert.Null(await _source.Runtime.GetStateAsync(_id, Ct));
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Transcript);
    }

    [Fact]
    public async Task A_destination_that_takes_no_containers_refuses_and_the_container_runs_on_untouched()
    {
        // Failure handled: phaul serve without --containers; nothing may be paused or checkpointed.
        var key = TwoHostCli.NewKey(_dir);
        await using var serve = await TwoHostCli.StartServeAsync(_hosts!, _dir.File("sessions"), key);

        await using var migrate = StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($"the destination did not take container '{_id}'", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("it runs on here", migrate.Stderr, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
    }

    [Fact]
    public async Task An_unknown_container_or_both_pid_and_container_is_bad_input()
    {
        var key = TwoHostCli.NewKey(_dir);

        await using var unknown = PhaulProcess.Start(_hosts!.Source, ["migrate", "--container", "phaul-no-such-container", "--runtime-root", _source.RootPath,
                                                                     "--to", $"{_hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key]);
        await using var both = PhaulProcess.Start(_hosts.Source, ["migrate", "--container", _id, "--pid", "1",
                                                                  "--to", $"{_hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key]);

        Assert.Equal((int)ExitCode.BadInput, await unknown.WaitForExitAsync(Patience));
        Assert.Contains($"--container phaul-no-such-container: no such container in --runtime-root {_source.RootPath}", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal((int)ExitCode.BadInput, await both.WaitForExitAsync(Patience));
        Assert.Contains("Give either --pid or --container.", both.Stderr, StringComparison.Ordinal);
    }

    private Task<PhaulProcess> StartServeAsync(string key) =>
        TwoHostCli.StartServeAsync(_hosts!, _dir.File("sessions"), key, null,
                                   "--containers", _destination.BundlesDirectory, "--runtime-root", _destination.RootPath,
                                   "--cgroup-parent", _destination.CgroupParent);

    private PhaulProcess StartMigrate(string key, params string[] more) =>
        PhaulProcess.Start(_hosts!.Source, ["migrate", "--container", _id, "--runtime-root", _source.RootPath,
                                            "--to", $"{_hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key, .. more]);
}
