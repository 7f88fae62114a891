using System.Globalization;
using System.Net;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// A local network both <see cref="TwoHosts"/> share, as containers' hosts in one data centre do: a switch (a bridge in a
/// network namespace of its own), a bridge <see cref="Bridge"/> on each host with an uplink to it, and a client in a
/// namespace of its own on it. Containers are attached the way an engine's network plugin does it: a veth pair, the
/// container's end in its network namespace with an address, the host's end on the host's bridge.
/// </summary>
internal sealed class ContainerLan : IDisposable
{
    public const string Bridge = "br0";

    private readonly TwoHosts _hosts;
    private readonly string _switch;

    private ContainerLan(TwoHosts hosts)
    {
        _hosts = hosts;
        _switch = hosts.Source.Replace("-src", "-lan", StringComparison.Ordinal);
        Client = hosts.Source.Replace("-src", "-cli", StringComparison.Ordinal);
    }

    /// <summary>The client's network namespace.</summary>
    public string Client { get; }

    public static IPAddress ClientAddress { get; } = IPAddress.Parse("10.88.0.100");

    public static async Task<ContainerLan> CreateAsync(TwoHosts hosts)
    {
        var lan = new ContainerLan(hosts);
        try
        {
            await TwoHosts.IpAsync("netns", "add", lan._switch);
            await TwoHosts.IpAsync("netns", "add", lan.Client);
            await TwoHosts.IpAsync("-n", lan._switch, "link", "add", "switch", "type", "bridge");
            await TwoHosts.IpAsync("-n", lan._switch, "link", "set", "switch", "up");
            foreach (var (host, uplink) in new[] { (hosts.Source, "up-src"), (hosts.Destination, "up-dst") })
            {
                await TwoHosts.IpAsync("-n", host, "link", "add", Bridge, "type", "bridge");
                await TwoHosts.IpAsync("-n", host, "link", "set", Bridge, "up");
                await lan.PlugAsync(host, uplink, inHost => TwoHosts.IpAsync("-n", host, "link", "set", inHost, "master", Bridge, "up"));
            }
            await lan.PlugAsync(lan.Client, "client", async inClient =>
            {
                await TwoHosts.IpAsync("-n", lan.Client, "addr", "add", $"{ClientAddress}/24", "dev", inClient);
                await TwoHosts.IpAsync("-n", lan.Client, "link", "set", inClient, "up");
                await TwoHosts.IpAsync("-n", lan.Client, "link", "set", "lo", "up");
            });
            return lan;
        }
        catch
        {
            lan.Dispose();
            throw;
        }
    }

    /// <summary>Gives the container <paramref name="pid"/> on the source host an interface eth0 with <paramref name="address"/>/24 on the source's bridge.</summary>
    public async Task AttachOnSourceAsync(int pid, IPAddress address)
    {
        var hostEnd = $"ct{pid.ToString(CultureInfo.InvariantCulture)}";
        await TwoHosts.IpAsync("-n", _hosts.Source, "link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns",
                               pid.ToString(CultureInfo.InvariantCulture));
        await TwoHosts.RunAsync("nsenter", $"--net=/proc/{pid}/ns/net", "ip", "addr", "add", $"{address}/24", "dev", "eth0");
        await TwoHosts.RunAsync("nsenter", $"--net=/proc/{pid}/ns/net", "ip", "link", "set", "eth0", "up");
        await TwoHosts.IpAsync("-n", _hosts.Source, "link", "set", hostEnd, "master", Bridge, "up");
    }

    /// <summary>The interfaces on <paramref name="host"/>'s bridge, by name.</summary>
    public static async Task<string> BridgePortsAsync(string host) => await TwoHosts.IpAsync("-n", host, "-o", "link", "show", "master", Bridge);

    // A veth pair from the switch to a namespace; the switch's end is named after the other's.
    private async Task PlugAsync(string netns, string name, Func<string, Task> configure)
    {
        await TwoHosts.IpAsync("-n", _switch, "link", "add", $"sw-{name}", "type", "veth", "peer", "name", name, "netns", netns);
        await TwoHosts.IpAsync("-n", _switch, "link", "set", $"sw-{name}", "master", "switch", "up");
        await configure(name);
    }

    public void Dispose()
    {
        foreach (var netns in new[] { _switch, Client })
        {
            using var ip = System.Diagnostics.Process.Start("ip", ["netns", "delete", netns]);
            ip.WaitForExit();
        }
    }
}
