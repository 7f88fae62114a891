using System.Globalization;
using System.Text.RegularExpressions;

namespace Phaul;

/// <summary>
/// Times from a dump's CRIU log, whose lines start with the seconds since CRIU started, e.g.
/// <c>(00.125791)</c>. The freeze starts right after CRIU logs which cgroup freezer it found (debug level)
/// and has seized the root by <c>Seized task</c> (info level); the images are written when it logs
/// <c>Running post-dump scripts</c>. A lazy dump's own statistics cannot tell this: CRIU's lazy page
/// server starts a fresh statistics record, so the dump's <c>stats-dump</c> holds zeros.
/// </summary>
internal static partial class DumpLogTimes
{
    /// <summary>
    /// From the start of the freeze to the post-dump notification; <see langword="null"/> when the log does not say or
    /// cannot be read. Never throws for the log: it is read after the tree moved, and only informs the report.
    /// </summary>
    public static async Task<TimeSpan?> FreezeToPostDumpAsync(string logPath)
    {
        try
        {
            return File.Exists(logPath) ? await ReadFreezeToPostDumpAsync(logPath).ConfigureAwait(false) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task<TimeSpan?> ReadFreezeToPostDumpAsync(string logPath)
    {
        TimeSpan? freeze = null;
        await foreach (var line in File.ReadLinesAsync(logPath).ConfigureAwait(false))
        {
            if (freeze is null && (line.Contains("Detected cgroup V", StringComparison.Ordinal) || line.Contains("Seized task", StringComparison.Ordinal)))
                freeze = TimeOf(line);
            else if (freeze is not null && line.Contains("Running post-dump scripts", StringComparison.Ordinal))
                return TimeOf(line) - freeze;
        }
        return null;
    }

    private static TimeSpan? TimeOf(string line)
    {
        var match = StampPattern().Match(line);
        if (!match.Success)
            return null;
        return TimeSpan.FromSeconds(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
               + TimeSpan.FromMicroseconds(long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^\((\d+)\.(\d{6})\)")]
    private static partial Regex StampPattern();
}
