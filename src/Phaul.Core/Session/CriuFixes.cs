using System.Text.RegularExpressions;

namespace Phaul;

/// <summary>
/// The fix for a CRIU error line: the situations seen on real hosts first (each pattern is a fragment of CRIU's own
/// line), then any option CRIU itself names ("consider using --X", "You can try --X").
/// </summary>
internal static partial class CriuFixes
{
    private const string OwnPidNamespace = "unshare --pid --fork setsid COMMAND";

    private static readonly (string[] AllOf, string Fix)[] Known =
    [
        (["--tcp-established"],
            "the tree has established TCP connections: migrate with --tcp-established (library: TcpEstablished in the final " +
            "dump's and the restore's CriuOpts); CRIU's network lock then needs iptables or nft on both hosts"),
        (["--file-locks"], "the tree holds file locks: migrate with --file-locks (library: FileLocks in the dump's and the restore's CriuOpts)"),
        (["--ext-unix-sk"],
            "the tree is connected to a unix socket outside it: migrate with --ext-unix-sk (library: ExtUnixSk), and make sure the " +
            "peer exists on the destination too"),
        (["--shell-job"],
            "the tree's root is not the leader of its own session: migrate with --shell-job (library: ShellJob), or start the tree " +
            "in its own session (setsid COMMAND)"),
        (["is outside of its pid namespace"],
            $"the tree's session leader is outside its PID namespace, which CRIU cannot dump even with --shell-job: start the tree with " +
            $"setsid inside its namespace ({OwnPidNamespace})"),
        (["without the process init"],
            "CRIU dumps a PID namespace only from its init: migrate the namespace's init (the process whose NSpid in /proc/PID/status ends in 1)"),
        (["Can't fork for", "File exists"],
            $"a process on the destination already has the tree's pid: run the tree as the root of its own PID namespace ({OwnPidNamespace}), " +
            "so that CRIU restores it into a new namespace where no pid can clash"),
        (["Unable to map ANON_VMA", "Cannot allocate memory"],
            "the destination's kernel refused the tree's memory mappings; a post-copy (lazy) restore of a tree that reserves a large " +
            "address range (every .NET process does) needs vm.overcommit_memory=1 there (sysctl -w vm.overcommit_memory=1), or " +
            "migrate with --strategy stop-and-copy"),
        (["Iptables configuration failed"], "CRIU's network lock runs iptables: install it on both hosts (Debian: apt-get install iptables)"),
        (["Failed to lock TCP connection"], "CRIU's network lock runs iptables: install it on both hosts (Debian: apt-get install iptables)"),
        (["Unsupported link"],
            "the tree has a network namespace of its own, which CRIU dumps with its links, and this kind of link cannot be dumped: " +
            "remove it from the namespace, or run the tree in phaul's network namespace"),
        (["splice", "Bad file descriptor"],
            "CRIU could not grow its pipes for the lazy page transfer: raise the source's limit (echo 8388608 > /proc/sys/fs/pipe-max-size)"),
        (["Lazy pages transfer FAILED"],
            "CRIU could not serve the pages lazily; if the log shows a failed splice, raise the source's pipe limit " +
            "(echo 8388608 > /proc/sys/fs/pipe-max-size)"),
        (["Can't lookup mount="],
            "the tree holds a file on a mount CRIU does not know (often stdio redirected to a host file): give the tree /dev/null or pipes"),
        (["BUG at criu/mem.c"], "the kernel does not track dirty memory (no soft-dirty bits): pre-dumps cannot run; use --strategy stop-and-copy or postcopy"),
    ];

    /// <summary>The fix for <paramref name="error"/>, or <see langword="null"/> when none is known.</summary>
    public static string? For(string error)
    {
        foreach (var (allOf, fix) in Known)
        {
            if (allOf.All(fragment => error.Contains(fragment, StringComparison.Ordinal)))
                return fix;
        }
        var named = NamedOption().Match(error);
        return named.Success ? $"CRIU names the option {named.Groups["option"].Value}: migrate with it (library: the matching CriuOpts field)" : null;
    }

    [GeneratedRegex(@"(?:consider using|try using|you can try|try)\s+(?<option>--[a-z][a-z0-9-]*)", RegexOptions.IgnoreCase)]
    private static partial Regex NamedOption();
}
