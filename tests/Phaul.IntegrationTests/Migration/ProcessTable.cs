using System.Diagnostics;
using System.Globalization;

namespace Phaul.IntegrationTests.Migration;

/// <summary>What /proc says about processes: whether one is gone, and who holds a directory.</summary>
internal static class ProcessTable
{
    /// <summary>
    /// Whether <paramref name="pid"/> no longer runs: gone, or a zombie (PID 1 here reaps orphans late,
    /// and a zombie holds no fds and runs nothing).
    /// </summary>
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
        try
        {
            await Poll.UntilAsync(() => IsGone(pid) ? "gone" : null, timeout, $"pid {pid} to end", CancellationToken.None);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The parent of <paramref name="pid"/>, or 0 when it is gone.</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 4)..].Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Every process with an open fd or its working directory at or under <paramref name="directory"/>.</summary>
    public static IReadOnlyList<int> HoldersOf(string directory)
    {
        var holders = new List<int>();
        foreach (var pid in AllPids())
        {
            if (Links(pid).Any(target => IsAtOrUnder(target, directory)))
                holders.Add(pid);
        }
        return holders;
    }

    /// <summary>The CRIU processes with an open fd or their working directory at or under <paramref name="directory"/>.</summary>
    public static IReadOnlyList<int> CriuHolding(string directory) =>
        [.. HoldersOf(directory).Where(pid => ReadComm(pid) == "criu")];

    /// <summary>Sends SIG<paramref name="signal"/> (e.g. STOP, CONT) to each of <paramref name="pids"/>; returns them.</summary>
    public static IReadOnlyList<int> Signal(IReadOnlyList<int> pids, string signal)
    {
        foreach (var pid in pids)
        {
            using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
        return pids;
    }

    private static string ReadComm(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }


    private static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc")
                 .Select(Path.GetFileName)
                 .Select(name => int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
                 .Where(pid => pid > 0);

    private static List<string> Links(int pid)
    {
        var links = new List<string>();
        try
        {
            links.Add(new FileInfo($"/proc/{pid}/cwd").LinkTarget ?? "");
            links.AddRange(new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos().Select(fd => fd.LinkTarget ?? ""));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended (or is a zombie) while we looked: it holds nothing.
        }
        return links;
    }

    private static bool IsAtOrUnder(string path, string directory) =>
        path == directory || path.StartsWith(directory + "/", StringComparison.Ordinal);
}
