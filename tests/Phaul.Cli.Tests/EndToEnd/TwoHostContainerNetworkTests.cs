using System.Net;
using System.Text.RegularExpressions;
using Phaul.Cli.Tests.Support;
using Phaul.Containers;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// A container with an address on a network both hosts share, and a client outside connected to its TCP server: after
/// <c>phaul migrate --container</c> the container answers on the same connection from the destination, its interface on
/// the destination's bridge.
/// </summary>
[Collection(typeof(EndToEnd))]
public sealed partial class TwoHostContainerNetworkTests : IAsyncLifetime
{
    private const int ServerPort = 7000;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly IPAddress ContainerAddress = IPAddress.Parse("10.88.0.10");

    private ContainerHosts _on = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _on = await ContainerHosts.StartAsync(ServerPort, ContainerAddress);

    public async ValueTask DisposeAsync()
    {
        if (_on is not null)
            await _on.DisposeAsync();
    }

    [Theory]
    [InlineData("stop-and-copy", "stop-and-copy")]
    [InlineData("postcopy", "post-copy")]
    public async Task A_clients_connection_to_the_container_goes_on_after_the_move_to_the_destinations_bridge(string strategy, string reported)
    {
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key, "--bridge", ContainerLan.Bridge);
        using var client = await ConnectAsync();
        Assert.Equal(1, await client.AskAsync(Patience, Ct));
        Assert.Equal(2, await client.AskAsync(Patience, Ct));

        await using var migrate = _on.StartMigrate(key, "--strategy", strategy);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($" by {reported}: init pid ", migrate.Stdout, StringComparison.Ordinal);
        // The same connection, to the same server process: its count goes on.
        Assert.Equal(3, await client.AskAsync(Patience, Ct));
        Assert.Equal(4, await client.AskAsync(Patience, Ct));
        Assert.Equal(ContainerStatus.Running, (await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
        // The destination's hook made the container's veth pair and put the host's end on the bridge; the source's is gone with its copy.
        Assert.Matches(@"\d+: ph[0-9a-f]{12}@", await ContainerLan.BridgePortsAsync(_on.Hosts.Destination));
        // The kernel destroys a network namespace, and so its veth pairs, in the background.
        var deadline = DateTime.UtcNow + Patience;
        while (SourcePort().IsMatch(await ContainerLan.BridgePortsAsync(_on.Hosts.Source)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the source's veth is still on its bridge");
            await Task.Delay(50, Ct);
        }
        Assert.Null(await _on.Source.Runtime.GetStateAsync(_on.Id, Ct));
    }

    [Fact]
    public async Task A_destination_that_cannot_attach_the_containers_interface_refuses_it_keeps_nothing_and_a_retry_elsewhere_moves_it()
    {
        // Failure handled: phaul serve without --bridge or --network-hook cannot give the container its interface. It refuses
        // before anything is done to the container, which goes on serving its client here; and nothing of it stays at the
        // destination (a bundle directory left there would refuse the next attempt), so a serve with --bridge takes it.
        var key = TwoHostCli.NewKey(_on.Dir);
        using var client = await ConnectAsync();
        Assert.Equal(1, await client.AskAsync(Patience, Ct));
        await using (var bare = await _on.StartServeAsync(key))
        {
            await using var refused = _on.StartMigrate(key);
            var refusedExit = await refused.WaitForExitAsync(Patience);
            Assert.True(refusedExit != 0, $"phaul migrate exited {refusedExit}{Environment.NewLine}{refused.Transcript}");
            Assert.Contains("has network interfaces", refused.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(2, await client.AskAsync(Patience, Ct));
        Assert.Equal(ContainerStatus.Running, (await _on.Source.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
        Assert.False(Directory.Exists(Path.Combine(_on.Destination.BundlesDirectory, _on.Id)), "the refused container's bundle stayed at the destination");

        await using var serve = await _on.StartServeAsync(key, "--bridge", ContainerLan.Bridge);
        await using var migrate = _on.StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Equal(3, await client.AskAsync(Patience, Ct));
    }

    [Fact]
    public async Task A_users_network_hook_gets_the_containers_network_and_sets_it_up_through_the_default_one_and_the_client_goes_on()
    {
        var key = TwoHostCli.NewKey(_on.Dir);
        var said = _on.Dir.File("hook-said");
        var hook = _on.Dir.File("my-network-hook");
        await File.WriteAllTextAsync(hook, $"""
            #!/bin/sh
            # A user's hook: notes what it was given, then runs the default attachment with the same state on stdin.
            state=$(cat)
            echo "$PHAUL_CONTAINER_ID $1 $PHAUL_NETWORK" > {said}
            cp "$1" {said}.json
            echo "$state" | sh "$PHAUL_DEFAULT_HOOK"
            """, Ct);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await using var serve = await _on.StartServeAsync(key, "--bridge", ContainerLan.Bridge, "--network-hook", hook);
        using var client = await ConnectAsync();
        Assert.Equal(1, await client.AskAsync(Patience, Ct));

        await using var migrate = _on.StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Equal(2, await client.AskAsync(Patience, Ct));
        var networkJson = Path.Combine(_on.Destination.BundlesDirectory, _on.Id, "network.json");
        Assert.Equal($"{_on.Id} {networkJson} {networkJson}", (await File.ReadAllTextAsync(said, Ct)).Trim());
        Assert.Contains($"\"{ContainerAddress}/", await File.ReadAllTextAsync(said + ".json", Ct), StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
    }

    [Fact]
    public async Task A_destination_without_a_bridge_refuses_a_container_with_an_address_and_it_goes_on_answering_here()
    {
        // Failure handled: the destination could not give the container its address; nothing may be paused.
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key);
        using var client = await ConnectAsync();
        Assert.Equal(1, await client.AskAsync(Patience, Ct));

        await using var migrate = _on.StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($"eth0 {ContainerAddress}/24", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("attaches containers to no bridge (phaul serve --bridge)", migrate.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, await client.AskAsync(Patience, Ct));
        Assert.Equal(ContainerStatus.Running, (await _on.Source.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
    }

    [Fact]
    public async Task A_restore_that_fails_after_the_network_went_down_brings_it_up_again_and_the_client_goes_on_here()
    {
        // Failure handled: the destination's network hook fails (its bridge does not exist) after the source took the
        // container's interfaces down and checkpointed it; the source must resume it with its network.
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key, "--bridge", "nobridge0");
        using var client = await ConnectAsync();
        Assert.Equal(1, await client.AskAsync(Patience, Ct));

        await using var migrate = _on.StartMigrate(key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains($"the destination could not restore container '{_on.Id}'", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("It runs on here.", migrate.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, await client.AskAsync(Patience, Ct));
        Assert.Equal(ContainerStatus.Running, (await _on.Source.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
        Assert.Null(await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct));
    }

    [GeneratedRegex(@"\d+: ct\d+@")]
    private static partial Regex SourcePort();

    // The server starts with the container: retry until it listens.
    private async Task<LineClient> ConnectAsync()
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var client = LineClient.Connect(_on.Lan!.Client, ContainerAddress, ServerPort);
            try
            {
                await client.AskAsync(TimeSpan.FromSeconds(5), Ct);
                client.Dispose();
                return LineClient.Connect(_on.Lan!.Client, ContainerAddress, ServerPort);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException && DateTime.UtcNow < deadline)
            {
                client.Dispose();
                await Task.Delay(100, Ct);
            }
        }
    }
}
