using System.Globalization;
using System.Text;

namespace Phaul.FileSystem;

/// <summary>
/// The "remote shell" the source's rsync starts (its <c>-e</c> option): a few lines of POSIX sh that
/// write the command line rsync asks the remote side to run to fd 3, a socket Phaul holds the other end
/// of, then join rsync's pipes to that socket until Phaul closes it. Phaul reads the command line and
/// hands it, with the socket, to an <see cref="IFileSystemDestination"/>, which decides what to run.
/// </summary>
internal static class RsyncRelay
{
    /// <summary>The fd the relay finds its socket on.</summary>
    public const int SocketFd = ChildSpawner.FirstExtraFd;

    /// <summary>The host name rsync is told; the relay ignores it.</summary>
    public const string HostName = "phaul";

    // Longer command lines are not rsync's.
    private const int MaxHeaderBytes = 64 * 1024;

    // Header: the argument count and a newline, then each argument NUL-terminated. Then the copies:
    // rsync to socket in the background (stdin kept on fd 4, as a background job's stdin is /dev/null),
    // socket to rsync in the foreground; when Phaul closes the socket the relay ends, which rsync waits for.
    // No single quote inside: rsync's -e parser takes the script between single quotes literally.
    private const string Script =
        "exec 4<&0; printf \"%d\\n\" $# >&3; printf \"%s\\0\" \"$@\" >&3; cat <&4 >&3 & cat <&3; kill $! 2>/dev/null; exit 0";

    /// <summary>The value of rsync's <c>-e</c> option.</summary>
    public static string RemoteShell => $"sh -c '{Script}' phaul-relay";

    /// <summary>Reads the command line the relay wrote, without reading past it; drops the host name.</summary>
    /// <exception cref="FileSystemMigrationException">The relay ended or wrote something else.</exception>
    public static async Task<IReadOnlyList<string>> ReadArgumentsAsync(Stream socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1];
        var read = 0;
        async Task<string> ReadUntilAsync(byte end)
        {
            var text = new List<byte>();
            while (true)
            {
                if (++read > MaxHeaderBytes)
                    throw new FileSystemMigrationException($"The rsync relay wrote more than {MaxHeaderBytes} bytes of command line.");
                if (await socket.ReadAsync(buffer, cancellationToken).ConfigureAwait(false) == 0)
                    throw new FileSystemMigrationException("The source's rsync ended before it started its remote side.");
                if (buffer[0] == end)
                    return Encoding.UTF8.GetString([.. text]);
                text.Add(buffer[0]);
            }
        }

        var countText = await ReadUntilAsync((byte)'\n').ConfigureAwait(false);
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
            throw new FileSystemMigrationException($"The rsync relay wrote '{countText}' where an argument count belongs.");
        var arguments = new List<string>(count);
        for (var i = 0; i < count; i++)
            arguments.Add(await ReadUntilAsync(0).ConfigureAwait(false));
        if (arguments[0] != HostName)
            throw new FileSystemMigrationException($"The source's rsync asked for host '{arguments[0]}', not '{HostName}'.");
        return arguments[1..];
    }
}
