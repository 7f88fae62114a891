using System.Text;

namespace Phaul.Transport;

/// <summary>
/// The two plain-text lines that open every connection, before TLS. The source names the protocol version and
/// whether it asks for encryption; the destination accepts, or refuses in words the source can show (a busy
/// destination refuses before it reads anything). Nothing here is trusted: the authenticated handshake that follows
/// covers the version and the channel, and an on-path attacker who forges a refusal only achieves what cutting the
/// link achieves.
/// </summary>
internal static class ConnectionGreeting
{
    /// <summary>The longest greeting line read, newline included.</summary>
    public const int MaxLineLength = 256;

    private const string Prefix = "phaul-transport/";
    private const string Tls = "tls";
    private const string Plaintext = "insecure-plaintext";
    private const string Ok = "ok";
    private const string Refused = "refused";

    /// <summary>The source's line: the protocol version and the traffic protection it asks for.</summary>
    public static byte[] SourceLine(bool plaintext) => Line($"{TransportProtocol.Version} {(plaintext ? Plaintext : Tls)}");

    /// <summary>The destination's acceptance; TLS (or plain frames) follow.</summary>
    public static byte[] AcceptedLine() => Line($"{TransportProtocol.Version} {Ok}");

    /// <summary>The destination's refusal, naming why; the connection closes after it.</summary>
    public static byte[] RefusedLine(string reason) => Line($"{TransportProtocol.Version} {Refused} {PeerText.Escape(reason, MaxLineLength / 2)}");

    /// <summary>Reads one line without reading past it: what follows belongs to TLS.</summary>
    /// <returns>The line without its newline; <see langword="null"/> when the peer closed the connection first.</returns>
    /// <exception cref="InvalidDataException">The line is longer than <see cref="MaxLineLength"/>.</exception>
    public static async Task<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new byte[MaxLineLength];
        for (var length = 0; length < line.Length; length++)
        {
            if (await stream.ReadAsync(line.AsMemory(length, 1), cancellationToken).ConfigureAwait(false) == 0)
                return null;
            if (line[length] == (byte)'\n')
                return Encoding.ASCII.GetString(line, 0, length);
        }
        throw new InvalidDataException($"the greeting line is longer than {MaxLineLength} bytes");
    }

    /// <summary>Checks the source's line against this destination's version and protection.</summary>
    /// <returns>Why the source is refused; <see langword="null"/> when it is accepted.</returns>
    public static string? CheckSourceLine(string line, bool plaintextAllowed)
    {
        if (!TrySplit(line, out var version, out var rest))
            return $"the peer did not open with a Phaul transport greeting (it sent {PeerText.Quote(line)})";
        if (version != TransportProtocol.Version)
            return TransportProtocol.DescribeVersionMismatch(version, TransportProtocol.Version);
        return (rest, plaintextAllowed) switch
        {
            (Tls, false) or (Plaintext, true) => null,
            (Tls, true) => "this destination runs with --insecure-plaintext and the source asks for TLS: give --insecure-plaintext to both ends or to neither",
            (Plaintext, false) => "the source asks for unencrypted traffic (--insecure-plaintext); this destination accepts TLS only",
            _ => $"the source asks for an unknown protection {PeerText.Quote(rest)}",
        };
    }

    /// <summary>Reads the destination's answer to the source's line.</summary>
    /// <returns>Why the destination refused, or why its answer is unusable; <see langword="null"/> when it accepted.</returns>
    public static string? CheckDestinationLine(string? line)
    {
        if (line is null)
            return "the destination closed the connection without answering the greeting";
        if (!TrySplit(line, out var version, out var rest))
            return $"the peer is not a Phaul destination (it answered {PeerText.Quote(line)})";
        if (rest.StartsWith(Refused, StringComparison.Ordinal))
            return $"the destination refused the connection: {PeerText.Escape(rest[Refused.Length..].Trim(), MaxLineLength)}";
        if (version != TransportProtocol.Version)
            return TransportProtocol.DescribeVersionMismatch(TransportProtocol.Version, version);
        return rest == Ok ? null : $"the destination answered the greeting with {PeerText.Quote(rest)}";
    }

    private static bool TrySplit(string line, out uint version, out string rest)
    {
        version = 0;
        rest = "";
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var space = line.IndexOf(' ', Prefix.Length);
        if (space < 0 || !uint.TryParse(line.AsSpan(Prefix.Length, space - Prefix.Length), out version))
            return false;
        rest = line[(space + 1)..];
        return true;
    }

    private static byte[] Line(string text) => Encoding.ASCII.GetBytes($"{Prefix}{text}\n");
}
