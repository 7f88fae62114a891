using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Phaul.Containers;

/// <summary>
/// The destination's default network hook for the common bridge setup: an OCI prestart hook that runc runs once it made
/// the restored container's empty network namespace and before CRIU restores its sockets. For each of the container's
/// interfaces it makes a veth pair, gives the container's end the source's name, MAC address, MTU and addresses, puts
/// the host's end on the bridge, and adds the routes, with iproute2 and nsenter. Every value comes from a source, so each
/// is checked against its syntax before it goes into the script.
/// </summary>
internal static partial class BridgeAttachment
{
    public const string ScriptName = "phaul-network.sh";

    /// <summary>A bridge name that passes the checks, for checking a network whose attachment is the user's hook.</summary>
    public const string PlaceholderBridge = "br0";

    /// <summary>The hook's shell script; runc gives it the container's state (with its pid) on stdin.</summary>
    /// <exception cref="InvalidDataException">A value of <paramref name="network"/> is not what it claims to be; the message names it.</exception>
    public static string Script(string containerId, ContainerWire.Network network, string bridge)
    {
        var script = new StringBuilder("""
            #!/bin/sh
            # Written by Phaul: the migrated container's network, as the source had it, on this host's bridge.
            set -e
            pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p')
            inside() { nsenter --net=/proc/$pid/ns/net "$@"; }

            """);
        foreach (var device in network.Interfaces)
        {
            var name = Checked(device.Name, InterfaceName(), "an interface name");
            var mac = Checked(device.Mac, MacAddress(), $"{name}'s MAC address");
            if (device.Mtu is < 68 or > 65535)
                throw new InvalidDataException($"{name}'s MTU {device.Mtu} is not one");
            var host = HostName(containerId, name);
            var mtu = device.Mtu.ToString(CultureInfo.InvariantCulture);
            script.AppendLine(CultureInfo.InvariantCulture, $"ip link add {host} type veth peer name {name} netns \"$pid\"");
            script.AppendLine(CultureInfo.InvariantCulture, $"inside ip link set {name} address {mac} mtu {mtu}");
            foreach (var address in device.Addresses)
                script.AppendLine(CultureInfo.InvariantCulture, $"inside ip addr add {Checked(address, IsNetwork, $"{name}'s address")} dev {name}");
            script.AppendLine(CultureInfo.InvariantCulture, $"inside ip link set {name} up");
            script.AppendLine(CultureInfo.InvariantCulture, $"ip link set {host} master {Checked(bridge, InterfaceName(), "the bridge's name")} mtu {mtu} up");
        }
        foreach (var route in network.Routes)
        {
            var destination = route.Destination == "default" ? "default" : Checked(route.Destination, IsNetwork, "a route's destination");
            script.AppendLine(CultureInfo.InvariantCulture,
                $"inside ip route add {destination} via {Checked(route.Gateway, IsAddress, "a gateway")} dev {Checked(route.Device, InterfaceName(), "a route's interface")}");
        }
        return script.ToString();
    }

    /// <summary>The host's end of the container's interface: unique per container and interface, within Linux's 15 characters.</summary>
    public static string HostName(string containerId, string interfaceName) =>
        "ph" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{containerId}/{interfaceName}")))[..12];

    /// <summary>The IPv4 addresses of <paramref name="network"/>'s interfaces, to announce once the container runs here.</summary>
    public static IEnumerable<(string Interface, string Address)> Ipv4Addresses(ContainerWire.Network network) =>
        from device in network.Interfaces
        from address in device.Addresses
        let ip = address.Split('/')[0]
        where IPAddress.TryParse(ip, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
        select (device.Name, ip);

    private static string Checked(string value, Regex syntax, string what) => Checked(value, syntax.IsMatch, what);

    private static string Checked(string value, Func<string, bool> valid, string what) =>
        valid(value) ? value : throw new InvalidDataException($"'{value}' is not {what}");

    private static bool IsNetwork(string value) => AddressCharacters().IsMatch(value) && (IPNetwork.TryParse(value, out _) || IsHostAddress(value));

    // An interface's address keeps its host part (10.0.0.10/24), which IPNetwork refuses.
    private static bool IsHostAddress(string value) =>
        value.Split('/') is [var ip, var prefix] && IPAddress.TryParse(ip, out _) && byte.TryParse(prefix, NumberStyles.None, CultureInfo.InvariantCulture, out var bits) && bits <= 128;

    private static bool IsAddress(string value) => AddressCharacters().IsMatch(value) && IPAddress.TryParse(value, out _) && !value.Contains('/', StringComparison.Ordinal);

    // IPAddress.TryParse also takes IPv6 scope names: nothing but digits, hex digits, dots and colons reaches the shell.
    [GeneratedRegex("^[0-9a-fA-F:.]+(/[0-9]{1,3})?$")]
    private static partial Regex AddressCharacters();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex InterfaceName();

    [GeneratedRegex("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")]
    private static partial Regex MacAddress();
}
