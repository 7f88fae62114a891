using System.Globalization;
using System.Net;
using Phaul.Transport;

namespace Phaul.Cli.Parsing;

/// <summary>
/// HOST:PORT as the command line writes it: <c>host:7480</c>, <c>192.0.2.7:7480</c>, <c>[2001:db8::7]:7480</c>,
/// or a host alone for the default port <see cref="MigrationListenerOptions.DefaultPort"/>.
/// </summary>
internal static class EndPointSyntax
{
    /// <summary>A destination to connect to: an IP address or a host name, and a port 1-65535.</summary>
    /// <returns>The endpoint, or <see langword="null"/> with <paramref name="error"/> saying what is wrong.</returns>
    public static EndPoint? ParseDestination(string text, out string? error)
    {
        if (!TrySplit(text, out var host, out var port, out error))
            return null;
        if (port == 0)
        {
            error = $"'{text}': port 0 cannot be connected to; give the port the destination listens on";
            return null;
        }
        if (IPAddress.TryParse(host, out var address))
            return new IPEndPoint(address, port);
        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            error = $"'{text}': '{host}' is neither an IP address nor a host name";
            return null;
        }
        return new DnsEndPoint(host, port);
    }

    /// <summary>An address to listen on: an IP address (0.0.0.0 for every interface) and a port, 0 for any free one.</summary>
    /// <returns>The endpoint, or <see langword="null"/> with <paramref name="error"/> saying what is wrong.</returns>
    public static IPEndPoint? ParseListen(string text, out string? error)
    {
        if (!TrySplit(text, out var host, out var port, out error))
            return null;
        if (IPAddress.TryParse(host, out var address))
            return new IPEndPoint(address, port);
        error = $"'{text}': '{host}' is not an IP address; listen on one of this host's addresses (0.0.0.0 for all of them)";
        return null;
    }

    private static bool TrySplit(string text, out string host, out int port, out string? error)
    {
        (host, port, error) = ("", MigrationListenerOptions.DefaultPort, null);
        string? portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            var rest = close < 0 ? "?" : text[(close + 1)..];
            if (close < 0 || (rest.Length > 0 && !rest.StartsWith(':')))
            {
                error = $"'{text}' is not HOST:PORT: an IPv6 address goes in brackets, e.g. [2001:db8::7]:7480";
                return false;
            }
            host = text[1..close];
            portText = rest.Length > 0 ? rest[1..] : null;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            (host, portText) = (text[..colon], text[(colon + 1)..]);
        }
        else
        {
            // A host alone, or a bare IPv6 address: the default port.
            (host, portText) = (text, null);
        }

        if (host.Length == 0)
        {
            error = $"'{text}' is not HOST:PORT: the host is missing";
            return false;
        }
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > IPEndPoint.MaxPort))
        {
            error = $"'{text}' is not HOST:PORT: '{portText}' is not a port number (0-65535)";
            return false;
        }
        return true;
    }
}
