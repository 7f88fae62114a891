namespace Phaul.Core.Tests.Fakes;

/// <summary>What this process's fds point at, as /proc shows them (e.g. <c>socket:[123]</c>).</summary>
internal static class FdLinks
{
    public static string Target(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "";

    /// <summary>Every fd of this process with its target; fds that close while listing are skipped.</summary>
    public static Dictionary<int, string> All()
    {
        var links = new Dictionary<int, string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            var fd = int.Parse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture);
            if (new FileInfo(entry).LinkTarget is { } target)
                links[fd] = target;
        }
        return links;
    }
}
