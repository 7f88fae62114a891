using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// A TCP server with a counter (tcp-counter.c) as a tree of its own on the source host: the root of its own PID and
/// network namespaces, its veth <see cref="InnerLink"/> holding <see cref="TreeAddress"/>. Both hosts share one LAN, as
/// hosts on a data centre's VLAN do: a bridge <see cref="Bridge"/> on each, the two joined by a veth pair, and the
/// tree's outer end <see cref="OuterLink"/> on the source's bridge. CRIU dumps the tree's network namespace with it;
/// <see cref="External"/> tells CRIU that the veth's peer is outside, so that the destination's CRIU creates a new
/// <see cref="OuterLink"/> on the destination's bridge: the tree keeps its address, on the other host.
/// </summary>
internal sealed class TcpCounterTree : IDisposable
{
    public const string Bridge = "br0";
    public const string OuterLink = "vtree";
    public const string InnerLink = "w0";
    public const int Port = 5070;

    private const string LanLink = "lan0";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _unshare;

    private TcpCounterTree(Process unshare) => _unshare = unshare;

    /// <summary>The tree's address on the LAN.</summary>
    public static IPAddress TreeAddress { get; } = IPAddress.Parse("10.199.77.2");

    /// <summary>The source host's own address on the LAN, where a client outside the tree talks from.</summary>
    public static IPAddress ClientAddress { get; } = IPAddress.Parse("10.199.77.1");

    /// <summary>CRIU's <c>--external</c> for the tree's veth, on both hosts.</summary>
    public static string External => $"veth[{InnerLink}]:{OuterLink}@{Bridge}";

    /// <summary>The tree's root as the host sees it: what to migrate. After a migration, the restored root.</summary>
    public int Pid { get; private set; }

    /// <summary>Builds the program into <paramref name="directory"/>, joins the hosts' LAN and starts the tree on the source.</summary>
    public static async Task<TcpCounterTree> StartAsync(TwoHosts hosts, string directory, CancellationToken cancellationToken)
    {
        // "phaul-workload" in the name: a leaked copy shows in `pgrep -af phaul-workload` like the other test workloads.
        var program = Path.Combine(directory, "phaul-workload-tcp-counter");
        await TwoHosts.RunAsync("cc", "-O2", "-Wall", "-o", program, Path.Combine(AppContext.BaseDirectory, "Support", "tcp-counter.c"));
        await JoinLanAsync(hosts);
        // stdio on /dev/null: an inherited pipe would become part of the dump; setsid: CRIU needs the session inside.
        var command = $"exec nsenter --net=/run/netns/{hosts.Source} unshare --pid --net --fork setsid '{program}' {Port} </dev/null >/dev/null 2>&1";
        var unshare = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { WorkingDirectory = directory })
                      ?? throw new InvalidOperationException("could not start the TCP counter tree");
        var tree = new TcpCounterTree(unshare);
        try
        {
            tree.Pid = await Poll.UntilAsync(() => ChildOf(unshare.Id), StartTimeout, "the TCP counter tree to start", cancellationToken);
            await PlugIntoLanAsync(hosts, tree.Pid);
            return tree;
        }
        catch
        {
            tree.Dispose();
            throw;
        }
    }

    /// <summary>The tree moved: from now on it is the tree rooted at <paramref name="pid"/>.</summary>
    public void AdoptRestored(int pid) => Pid = pid;

    /// <summary>The addresses of the tree's <see cref="InnerLink"/>, as its own network namespace shows them.</summary>
    public Task<string> AddressesAsync() =>
        TwoHosts.RunAsync("nsenter", $"--net=/proc/{Pid}/ns/net", "ip", "-brief", "address", "show", InnerLink);

    /// <summary>Whether <paramref name="netns"/> has the tree's outer veth, on its bridge.</summary>
    public static async Task<bool> IsPluggedInAsync(string netns)
    {
        var link = await TwoHosts.IpAsync("-n", netns, "-oneline", "link", "show", "master", Bridge);
        return link.Contains($" {OuterLink}@", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        // The root of its own PID namespace: SIGKILL to it kills the whole tree.
        if (Pid > 0 && Workload.IsProcessRunning(Pid))
            Process.GetProcessById(Pid).Kill();
        if (!_unshare.HasExited)
            _unshare.Kill(entireProcessTree: true);
        _unshare.WaitForExit();
        _unshare.Dispose();
    }

    private static async Task JoinLanAsync(TwoHosts hosts)
    {
        foreach (var host in new[] { hosts.Source, hosts.Destination })
        {
            await TwoHosts.IpAsync("-n", host, "link", "add", Bridge, "type", "bridge");
            await TwoHosts.IpAsync("-n", host, "link", "set", Bridge, "up");
        }
        await TwoHosts.IpAsync("link", "add", LanLink, "netns", hosts.Source, "type", "veth", "peer", "name", LanLink, "netns", hosts.Destination);
        foreach (var host in new[] { hosts.Source, hosts.Destination })
            await TwoHosts.IpAsync("-n", host, "link", "set", LanLink, "master", Bridge, "up");
        await TwoHosts.IpAsync("-n", hosts.Source, "address", "add", $"{ClientAddress}/24", "dev", Bridge);
    }

    private static async Task PlugIntoLanAsync(TwoHosts hosts, int pid)
    {
        var treePid = pid.ToString(CultureInfo.InvariantCulture);
        await TwoHosts.IpAsync("-n", hosts.Source, "link", "add", OuterLink, "type", "veth", "peer", "name", InnerLink, "netns", treePid);
        await TwoHosts.IpAsync("-n", hosts.Source, "link", "set", OuterLink, "master", Bridge, "up");
        string[] inTree = ["nsenter", $"--net=/proc/{treePid}/ns/net", "ip"];
        await TwoHosts.RunAsync(inTree[0], [.. inTree[1..], "address", "add", $"{TreeAddress}/24", "dev", InnerLink]);
        await TwoHosts.RunAsync(inTree[0], [.. inTree[1..], "link", "set", InnerLink, "up"]);
        await TwoHosts.RunAsync(inTree[0], [.. inTree[1..], "link", "set", "lo", "up"]);
    }

    private static int? ChildOf(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        var children = File.Exists(path) ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return children.Length > 0 ? int.Parse(children[0], CultureInfo.InvariantCulture) : null;
    }
}
