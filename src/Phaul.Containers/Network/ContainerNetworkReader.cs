using System.Text.Json;

namespace Phaul.Containers;

/// <summary>
/// A running container's network as its engine set it up (e.g. a veth pair to a bridge), read with iproute2 from inside
/// its network namespace: what the destination must set up again, and the host's ends of its veth pairs here.
/// </summary>
internal static class ContainerNetworkReader
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The container's interfaces and routes, and the names of their veth peers on this host.</summary>
    /// <exception cref="ContainerRuntimeException">ip or nsenter is missing or failed, or printed what is not iproute2's JSON.</exception>
    public static async Task<(ContainerWire.Network Network, IReadOnlyList<string> HostPeers)> ReadAsync(int pid, CancellationToken cancellationToken)
    {
        var inside = $"--net=/proc/{pid}/ns/net";
        using var links = await JsonAsync("nsenter", [inside, "ip", "-j", "addr", "show"], cancellationToken).ConfigureAwait(false);
        using var routes = await JsonAsync("nsenter", [inside, "ip", "-j", "route", "show"], cancellationToken).ConfigureAwait(false);
        using var hostLinks = await JsonAsync("ip", ["-j", "link", "show"], cancellationToken).ConfigureAwait(false);

        var interfaces = new List<ContainerWire.Interface>();
        var peers = new List<string>();
        foreach (var link in links.RootElement.EnumerateArray())
        {
            if (Text(link, "link_type") != "ether")
                continue;
            var name = Text(link, "ifname") ?? throw Unreadable("an interface without a name");
            interfaces.Add(new ContainerWire.Interface(name, Text(link, "address") ?? "", link.TryGetProperty("mtu", out var mtu) ? mtu.GetInt32() : 1500,
                                                       Addresses(link)));
            if (link.TryGetProperty("link_index", out var peerIndex) && HostLink(hostLinks.RootElement, peerIndex.GetInt32()) is { } peer)
                peers.Add(peer);
        }
        var gatewayRoutes = routes.RootElement.EnumerateArray()
            .Where(route => Text(route, "gateway") is not null && Text(route, "dev") is not null)
            .Select(route => new ContainerWire.Route(Text(route, "dst") ?? "default", Text(route, "gateway")!, Text(route, "dev")!))
            .ToList();
        return (new ContainerWire.Network(interfaces, gatewayRoutes), peers);
    }

    // Link-local addresses come back by themselves; the rest are the container's identity.
    private static List<string> Addresses(JsonElement link) =>
        !link.TryGetProperty("addr_info", out var infos) ? [] :
        [.. infos.EnumerateArray()
                 .Where(info => Text(info, "scope") == "global" && Text(info, "local") is not null && info.TryGetProperty("prefixlen", out _))
                 .Select(info => $"{Text(info, "local")}/{info.GetProperty("prefixlen").GetInt32()}")];

    private static string? HostLink(JsonElement hostLinks, int index) =>
        hostLinks.EnumerateArray().Where(link => link.TryGetProperty("ifindex", out var i) && i.GetInt32() == index)
                 .Select(link => Text(link, "ifname")).FirstOrDefault();

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<JsonDocument> JsonAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var output = await RunAsync(program, arguments, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(string.Join('\n', output));
        }
        catch (JsonException e)
        {
            throw Unreadable($"{program} {string.Join(' ', arguments)} printed what is not JSON: {e.Message}");
        }
    }

    /// <summary>Runs an iproute2 or util-linux program and returns its output.</summary>
    /// <exception cref="ContainerRuntimeException">It is missing or failed.</exception>
    internal static async Task<IReadOnlyList<string>> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var path = ExternalCommand.Resolve(program)
            ?? throw new ContainerRuntimeException($"{program} not found on PATH: a container's network is read and set up with iproute2 and util-linux");
        var outcome = await ExternalCommand.RunAsync(path, arguments, CommandTimeout, cancellationToken).ConfigureAwait(false);
        return outcome.Succeeded
            ? outcome.Output
            : throw new ContainerRuntimeException($"{program} {string.Join(' ', arguments)} {outcome.Ending}: {string.Join(" / ", outcome.Output.TakeLast(3))}");
    }

    private static ContainerRuntimeException Unreadable(string what) => new($"the container's network cannot be read: {what}");
}
