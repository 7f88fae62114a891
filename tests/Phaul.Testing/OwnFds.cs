using System.Globalization;
using System.Runtime.InteropServices;

namespace Phaul.Testing;

/// <summary>This process's fds as /proc shows them, for tests that prove the library closes what it opens.</summary>
public static class OwnFds
{
    /// <summary>
    /// Every fd with its target (e.g. <c>socket:[123]</c>); fds that close while listing are skipped, and so are
    /// the listing's own directory fd (its number can differ between two listings) and the assemblies and symbol
    /// files the runtime keeps open once it loaded them (not the library's doing).
    /// </summary>
    public static Dictionary<int, string> List()
    {
        var fds = new Dictionary<int, string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (new FileInfo(entry).LinkTarget is { } target && !IsTheRuntimes(target))
                fds[int.Parse(Path.GetFileName(entry), CultureInfo.InvariantCulture)] = target;
        }
        return fds;
    }

    // Assemblies and their symbol files (read for a stack trace's line numbers), from the runtime's directory or
    // the application's: the library opens nothing there.
    private static bool IsTheRuntimes(string target) =>
        target == $"/proc/{Environment.ProcessId}/fd"
        || target.StartsWith(RuntimeEnvironment.GetRuntimeDirectory(), StringComparison.Ordinal)
        || target.StartsWith(AppContext.BaseDirectory, StringComparison.Ordinal);
}
