using System.Globalization;

namespace Phaul;

/// <summary>
/// What a tree's private mappings would be charged at a restore that maps them all writable (see
/// <see cref="PremapRule"/>): the largest one that the heuristic overcommit mode counts (not MAP_NORESERVE), and the
/// sum of all of them (the strict mode counts every one).
/// </summary>
/// <param name="LargestPid">The process holding the largest counted mapping; 0 when there is none.</param>
/// <param name="LargestBytes">The largest private mapping without MAP_NORESERVE.</param>
/// <param name="TotalBytes">Every private mapping of every process of the tree.</param>
internal sealed record TreeMappings(int LargestPid, long LargestBytes, long TotalBytes)
{
    /// <summary>Reads <c>/proc/PID/smaps</c> of every process of the tree rooted at <paramref name="root"/>; <see langword="null"/> when the root is gone or unreadable.</summary>
    public static TreeMappings? Read(int root) =>
        ProcessTrees.ReadEach(root, "smaps")?.Aggregate(new TreeMappings(0, 0, 0), (total, smaps) => total.Add(smaps.Pid, smaps.Text));

    /// <summary>These figures with the private mappings of <paramref name="pid"/>, from the contents of its <c>smaps</c>, added.</summary>
    public TreeMappings Add(int pid, string smaps)
    {
        var (largestPid, largest, sum) = (LargestPid, LargestBytes, TotalBytes);
        long size = 0;
        var isPrivate = false;
        foreach (var line in smaps.Split('\n'))
        {
            if (TryParseHeader(line, out var length, out var privateMapping))
            {
                (size, isPrivate) = (length, privateMapping);
                continue;
            }
            if (!line.StartsWith("VmFlags:", StringComparison.Ordinal) || !isPrivate)
                continue;
            var flags = line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (flags.Contains("ht")) // hugetlb mappings are never premapped
                continue;
            sum += size;
            if (!flags.Contains("nr") && size > largest)
                (largestPid, largest) = (pid, size);
        }
        return new TreeMappings(largestPid, largest, sum);
    }

    // A mapping's first line: "start-end perms offset dev inode [path]", perms like "rw-p" (p: private, s: shared).
    private static bool TryParseHeader(string line, out long length, out bool privateMapping)
    {
        var parsed = TryParseRange(line, out var start, out var end, out var permissions);
        (length, privateMapping) = parsed ? ((long)(end - start), permissions[3] == 'p') : (0, false);
        return parsed;
    }

    /// <summary>
    /// The address range and permissions of a mapping's first line in <c>/proc/PID/maps</c> or <c>smaps</c>:
    /// "start-end perms offset dev inode [path]", perms like "rw-p" (p: private, s: shared).
    /// </summary>
    internal static bool TryParseRange(string line, out ulong start, out ulong end, out string permissions)
    {
        (start, end, permissions) = (0, 0, "");
        var fields = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || fields[1].Length != 4)
            return false;
        var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
            return false;
        if (!ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out start)
            || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out end))
            return false;
        permissions = fields[1];
        return true;
    }
}
