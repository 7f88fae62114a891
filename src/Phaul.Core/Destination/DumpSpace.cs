using System.Globalization;

namespace Phaul;

/// <summary>How much a dump writes, and whether a directory has room for it.</summary>
internal static class DumpSpace
{
    // Besides the pages: core, mm, fd and other images, small next to the memory.
    private const long ImagesMargin = 16L << 20;

    /// <summary>
    /// The anonymous memory of every process of the tree rooted at <paramref name="root"/> (smaps_rollup's
    /// <c>Anonymous</c>): what CRIU writes as pages. Memory two processes share is counted twice, so this errs high.
    /// </summary>
    public static long EstimateBytes(int root) =>
        ProcessTrees.Members(root).Sum(AnonymousBytesOf);

    /// <summary>Throws when <paramref name="directory"/>'s file system has less free than <paramref name="expectedBytes"/> and a margin.</summary>
    /// <exception cref="InsufficientSpaceException">Too little space.</exception>
    public static void Require(string directory, long expectedBytes)
    {
        if (expectedBytes <= 0)
            return;
        var needed = expectedBytes + expectedBytes / 10 + ImagesMargin;
        var available = AvailableBytes(directory);
        if (available < needed)
            throw new InsufficientSpaceException(directory, available, needed);
    }

    /// <summary>The bytes an unprivileged writer may still use on <paramref name="directory"/>'s file system.</summary>
    /// <exception cref="NativeCallException">statvfs failed (e.g. the directory is gone).</exception>
    public static long AvailableBytes(string directory) =>
        Interop.Statvfs(directory, out var stat) == 0
            ? (long)Math.Min(stat.BlocksAvailable * stat.FragmentSize, long.MaxValue)
            : throw NativeCallException.FromLastError("statvfs", directory);

    private static long AnonymousBytesOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Anonymous:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // gone meanwhile
        }
    }
}
