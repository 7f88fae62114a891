using System.Net;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// <see cref="TwoHosts"/> for container migrations: each host with its own runc root, bundle directory and cgroup
/// parent; a busybox container counting in a root file system both share, started on the source; with a server port,
/// also on a <see cref="ContainerLan"/> with an address and a TCP server a client outside can talk to.
/// </summary>
internal sealed class ContainerHosts : IAsyncDisposable
{
    private ContainerHosts(TwoHosts hosts)
    {
        Hosts = hosts;
        Source = new RuncHost("source");
        Destination = new RuncHost("destination");
    }

    public string Id { get; } = "phaul-" + Guid.NewGuid().ToString("N")[..8];

    public TempDirectory Dir { get; } = new();

    public TwoHosts Hosts { get; }

    public RuncHost Source { get; }

    public RuncHost Destination { get; }

    public ContainerLan? Lan { get; private set; }

    /// <summary>Skips (or, in CI, fails) unless CRIU, runc, busybox and network namespaces are here; then starts the container.</summary>
    public static async Task<ContainerHosts> StartAsync(int? serverPort = null, IPAddress? address = null, int ballastMiB = 0)
    {
        CriuTestEnvironment.RequireCriu();
        RuncTestEnvironment.RequireContainers();
        TwoHosts.Require();
        var hosts = new ContainerHosts(await TwoHosts.CreateAsync());
        try
        {
            await hosts.Source.CreateCounterBundleAsync(hosts.Id, serverPort, ballastMiB);
            await hosts.Source.RunAsync(hosts.Id, hosts.Hosts.Source);
            if (address is not null)
            {
                hosts.Lan = await ContainerLan.CreateAsync(hosts.Hosts);
                var state = await hosts.Source.Runtime.GetStateAsync(hosts.Id, TestContext.Current.CancellationToken);
                await hosts.Lan.AttachOnSourceAsync(state!.Pid, address);
            }
            await hosts.Source.WaitForCounterAboveAsync(hosts.Id, 2);
            return hosts;
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <c>phaul serve --containers</c> on the destination with its runc root and cgroup parent, and <paramref name="more"/>.</summary>
    public Task<PhaulProcess> StartServeAsync(string key, params string[] more) =>
        TwoHostCli.StartServeAsync(Hosts, Dir.File("sessions"), key, null,
                                   ["--containers", Destination.BundlesDirectory, "--runtime-root", Destination.RootPath,
                                    "--cgroup-parent", Destination.CgroupParent, .. more]);

    /// <summary>
    /// Starts <c>phaul migrate --container</c> of the container on the source host, its work directories under
    /// <see cref="Dir"/> (a failed migration keeps its own, with CRIU's log).
    /// </summary>
    public PhaulProcess StartMigrate(string key, params string[] more) =>
        PhaulProcess.Start(Hosts.Source, ["migrate", "--container", Id, "--runtime-root", Source.RootPath, "--wdir", Dir.File("wdir"),
                                          "--to", $"{Hosts.DestinationAddress}:{TwoHostCli.Port}", "--key-file", key, .. more]);

    public async ValueTask DisposeAsync()
    {
        await Destination.DisposeAsync();
        await Source.DisposeAsync();
        Lan?.Dispose();
        Hosts.Dispose();
        Dir.Dispose();
    }
}
