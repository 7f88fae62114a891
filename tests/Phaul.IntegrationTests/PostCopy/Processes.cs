namespace Phaul.IntegrationTests.PostCopy;

/// <summary>What the process table says about processes a test started.</summary>
internal static class Processes
{
    /// <summary>Whether <paramref name="pid"/> no longer runs (gone, or a zombie waiting for its reaper).</summary>
    public static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Waits until <paramref name="pid"/> is gone; false when it still runs after <paramref name="timeout"/>.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!IsGone(pid))
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(20);
        }
        return true;
    }

    /// <summary>Live processes whose executable is CRIU and that hold a file or cwd under <paramref name="directory"/>.</summary>
    public static IReadOnlyList<int> HoldersOf(string directory) =>
        [.. Directory.GetDirectories("/proc")
                     .Select(Path.GetFileName)
                     .Where(name => int.TryParse(name, out _))
                     .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture))
                     .Where(pid => pid != Environment.ProcessId && !IsGone(pid) && Holds(pid, directory))];

    private static bool Holds(int pid, string directory)
    {
        try
        {
            var links = Directory.GetFiles($"/proc/{pid}/fd").Append($"/proc/{pid}/cwd");
            return links.Any(link => new FileInfo(link).LinkTarget is { } target && target.StartsWith(directory, StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
