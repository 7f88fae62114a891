using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// Two "hosts" on this machine: two network namespaces joined by a veth pair with link-local
/// addresses. The names are unique per run; both namespaces (and so the veth pair) are deleted at
/// disposal. Processes join a host with <c>nsenter --net=/run/netns/NAME</c>, which changes only the
/// network namespace.
/// </summary>
internal sealed class TwoHosts : IDisposable
{
    private static readonly string[] Tools = ["ip", "nsenter"];

    private TwoHosts(string id)
    {
        Source = $"phaul-{id}-src";
        Destination = $"phaul-{id}-dst";
        SourceLink = $"ph{id}s";
        DestinationLink = $"ph{id}d";
    }

    /// <summary>The source host's network namespace.</summary>
    public string Source { get; }

    /// <summary>The destination host's network namespace.</summary>
    public string Destination { get; }

    public IPAddress SourceAddress { get; } = IPAddress.Parse("169.254.77.1");

    public IPAddress DestinationAddress { get; } = IPAddress.Parse("169.254.77.2");

    private string SourceLink { get; }

    private string DestinationLink { get; }

    /// <summary>Skips (or, with PHAUL_REQUIRE_CRIU=1, fails) the test when ip or nsenter is missing.</summary>
    public static void Require()
    {
        var missing = Tools.Where(tool => !OnPath(tool)).ToList();
        if (missing.Count == 0)
            return;
        var reason = $"{string.Join(" and ", missing)} not found (Debian packages iproute2, util-linux): two-host tests need network namespaces";
        if (CriuTestEnvironment.Required)
            Assert.Fail(reason);
        Assert.Skip(reason);
    }

    public static async Task<TwoHosts> CreateAsync()
    {
        var hosts = new TwoHosts(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        try
        {
            await IpAsync("netns", "add", hosts.Source);
            await IpAsync("netns", "add", hosts.Destination);
            await IpAsync("link", "add", hosts.SourceLink, "netns", hosts.Source, "type", "veth", "peer", "name", hosts.DestinationLink,
                          "netns", hosts.Destination);
            await ConfigureAsync(hosts.Source, hosts.SourceLink, hosts.SourceAddress);
            await ConfigureAsync(hosts.Destination, hosts.DestinationLink, hosts.DestinationAddress);
            return hosts;
        }
        catch
        {
            hosts.Dispose();
            throw;
        }
    }

    /// <summary>Limits what the source sends to the destination to <paramref name="megabitsPerSecond"/> (a token bucket on its end of the veth pair).</summary>
    public Task ThrottleSourceAsync(int megabitsPerSecond) =>
        RunAsync("tc", "-n", Source, "qdisc", "add", "dev", SourceLink, "root", "tbf", "rate", $"{megabitsPerSecond}mbit",
                 "burst", "32kbit", "latency", "400ms");

    /// <summary>Takes the source's end of the veth pair down: from then on no packet passes between the hosts, and neither end is told.</summary>
    public Task CutLinkAsync() => IpAsync("-n", Source, "link", "set", SourceLink, "down");

    /// <summary>The name of the network namespace <paramref name="pid"/> runs in, as <c>ip netns identify</c> finds it.</summary>
    public static async Task<string> NetworkNamespaceOfAsync(int pid) =>
        (await IpAsync("netns", "identify", pid.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim();

    private static async Task ConfigureAsync(string netns, string link, IPAddress address)
    {
        await IpAsync("-n", netns, "addr", "add", $"{address}/30", "dev", link);
        await IpAsync("-n", netns, "link", "set", link, "up");
        await IpAsync("-n", netns, "link", "set", "lo", "up");
    }

    public void Dispose()
    {
        // Deleting a namespace deletes its end of the veth pair, and with it the pair.
        foreach (var netns in new[] { Source, Destination })
        {
            using var ip = Process.Start("ip", ["netns", "delete", netns]);
            ip.WaitForExit();
        }
    }

    /// <summary>Runs <c>ip ARGS</c>; throws with its stderr when it fails.</summary>
    public static Task<string> IpAsync(params string[] args) => RunAsync("ip", args);

    /// <summary>Runs <paramref name="program"/>; returns its stdout, throws with its stderr when it fails.</summary>
    public static async Task<string> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var tool = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = tool.StandardOutput.ReadToEndAsync();
        var errors = tool.StandardError.ReadToEndAsync();
        await tool.WaitForExitAsync();
        if (tool.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({tool.ExitCode}): {await errors}");
        return await output;
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                                                           .Any(dir => File.Exists(Path.Combine(dir, tool)));
}
