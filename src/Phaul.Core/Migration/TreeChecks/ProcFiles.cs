using System.Globalization;

namespace Phaul;

/// <summary>
/// Reads what the tree checks need from a procfs: <c>/proc</c> on a host, a directory of the same shape in tests.
/// Every read returns <see langword="null"/> for a process that does not exist (or just ended).
/// </summary>
internal sealed class ProcFiles(string root)
{
    /// <summary>This host's procfs.</summary>
    public static ProcFiles Host { get; } = new("/proc");

    /// <summary>The fields of <c>/proc/PID/stat</c> that matter here; null when the process does not exist.</summary>
    public ProcStat? Stat(int pid)
    {
        if (ReadText($"{pid}/stat") is not { } stat)
            return null;
        // The command name is in parentheses and may hold spaces and parentheses itself: the fields follow the last ')'.
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        var fields = stat[(close + 2)..].Split(' ');
        return new ProcStat(stat[(open + 1)..close], Field(fields, 1), Field(fields, 2), Field(fields, 3),
                            uint.Parse(fields[6], CultureInfo.InvariantCulture));
    }

    /// <summary>The pids of the process in each PID namespace it is in, outermost (phaul's view) first (NSpid); null when unknown.</summary>
    public IReadOnlyList<int>? NamespacePids(int pid)
    {
        var line = ReadText($"{pid}/status")?.Split('\n').FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
        return line?["NSpid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)
                   .Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>The identity of the process's namespace of <paramref name="kind"/> (e.g. <c>net:[4026531840]</c>); null when unreadable.</summary>
    public string? Namespace(int pid, string kind)
    {
        try
        {
            return new FileInfo(Path.Combine(root, $"{pid}/ns/{kind}")).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static int Field(string[] fields, int index) => int.Parse(fields[index], CultureInfo.InvariantCulture);

    private string? ReadText(string relative)
    {
        try
        {
            return File.ReadAllText(Path.Combine(root, relative));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>What <c>/proc/PID/stat</c> says about a process, pids as the reader's PID namespace sees them.</summary>
/// <param name="Command">Its command name.</param>
/// <param name="ParentPid">Its parent (0 for the namespace's init, or when the parent is outside the reader's namespace).</param>
/// <param name="ProcessGroup">Its process group.</param>
/// <param name="Session">Its session.</param>
/// <param name="Flags">The kernel's task flags (PF_*).</param>
internal sealed record ProcStat(string Command, int ParentPid, int ProcessGroup, int Session, uint Flags)
{
    private const uint KernelThreadFlag = 0x00200000; // PF_KTHREAD

    public bool IsKernelThread => (Flags & KernelThreadFlag) != 0;
}
