using System.Text.RegularExpressions;

namespace Phaul.FileSystem;

/// <summary>
/// Checks, on the destination, the <c>rsync --server</c> command line a source asks for. The network
/// never chooses what runs: only a receiving rsync with the options Phaul's own source uses, writing
/// into one of the paths this session prepared.
/// </summary>
internal static partial class RsyncServerArguments
{
    // The long options Phaul's source passes on: deletions, statistics, numeric owners, and
    // --modify-window=-1 (spelt -@-1 on the server's command line: compare mtimes to the nanosecond).
    private static readonly HashSet<string> AllowedLongOptions = ["--delete", "--stats", "--numeric-ids", "-@-1"];

    /// <summary>
    /// Checks <paramref name="arguments"/> (from "rsync" on, as the source's rsync hands them to its remote
    /// shell) and returns the arguments to run rsync with, without the program name.
    /// </summary>
    /// <param name="arguments">"rsync", "--server", options, ".", the destination path.</param>
    /// <param name="allowedPaths">The absolute destination paths this session may write.</param>
    /// <exception cref="FileSystemMigrationException">Something is not allowed; the message names it.</exception>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string> arguments, IReadOnlyCollection<string> allowedPaths)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(allowedPaths);
        if (arguments.Count < 5 || arguments[0] != "rsync" || arguments[1] != "--server")
            throw Refused($"expected 'rsync --server OPTIONS . PATH', got '{string.Join(' ', arguments)}'");
        if (arguments[^2] != ".")
            throw Refused($"expected '.' before the destination path, got '{arguments[^2]}'");
        foreach (var option in arguments.Skip(2).Take(arguments.Count - 4))
            CheckOption(option);
        var path = arguments[^1];
        var normalized = Normalize(path);
        if (normalized is null || !allowedPaths.Contains(normalized))
            throw Refused($"the destination path '{path}' is not one this session prepared ({string.Join(", ", allowedPaths)})");
        return [.. arguments.Skip(1)];
    }

    /// <summary>An absolute path without a trailing slash, or <see langword="null"/> when it is not absolute or not canonical.</summary>
    internal static string? Normalize(string path)
    {
        if (!Path.IsPathFullyQualified(path))
            return null;
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        return Path.GetFullPath(trimmed) == trimmed ? trimmed : null;
    }

    private static void CheckOption(string option)
    {
        if (option == "--sender")
            throw Refused("--sender would send the destination's files to the network; the destination only receives");
        if (AllowedLongOptions.Contains(option))
            return;
        if (option.StartsWith("--", StringComparison.Ordinal) || !ShortOptions().IsMatch(option))
            throw Refused($"the option '{option}' is not one Phaul's source uses");
    }

    private static FileSystemMigrationException Refused(string why) =>
        new($"The destination refused to run rsync: {why}.");

    // Links, hard links, owner, group, devices, times, permissions, ACLs, xattrs, recursion, sparse
    // files; then rsync's protocol capabilities ("e.iLsfxCIvu": everything after the 'e' is its value,
    // capability letters the two rsyncs agree on, not options).
    [GeneratedRegex("^-[lHogDtpAXrS]+(e[0-9.]*[A-Za-z]*)?$")]
    private static partial Regex ShortOptions();
}
