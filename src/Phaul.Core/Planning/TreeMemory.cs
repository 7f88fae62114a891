using System.Globalization;

namespace Phaul;

/// <summary>The memory a dump of a tree writes: the anonymous resident memory of its processes.</summary>
internal static class TreeMemory
{
    /// <summary>
    /// Sums the <c>Anonymous</c> line of <c>/proc/PID/smaps_rollup</c> over the tree rooted at <paramref name="root"/>;
    /// <see langword="null"/> when the root is gone or unreadable, or a rollup has no such figure. A child that exits
    /// meanwhile counts nothing.
    /// </summary>
    public static long? ReadAnonymousBytes(int root)
    {
        try
        {
            return ProcessTrees.ReadEach(root, "smaps_rollup")?.Sum(rollup => AnonymousBytes(rollup.Text));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The <c>Anonymous:</c> figure of a <c>smaps_rollup</c> text, in bytes.</summary>
    /// <exception cref="FormatException">The text has no such line, or its figure is not a number of kB.</exception>
    public static long AnonymousBytes(string smapsRollup)
    {
        const string Key = "Anonymous:";
        var line = smapsRollup.Split('\n').FirstOrDefault(line => line.StartsWith(Key, StringComparison.Ordinal))
                   ?? throw new FormatException("smaps_rollup has no Anonymous line");
        var fields = line[Key.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is [var kb, "kB"] && long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value * 1024
            : throw new FormatException($"smaps_rollup's Anonymous line is not a number of kB: '{line}'");
    }
}
