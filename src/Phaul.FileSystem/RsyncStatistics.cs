using System.Globalization;
using System.Text.RegularExpressions;

namespace Phaul.FileSystem;

/// <summary>Reads the figures of rsync's <c>--stats</c> output.</summary>
internal static partial class RsyncStatistics
{
    public static FileSystemTransfer Parse(IEnumerable<string> lines)
    {
        var figures = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var match = Figure().Match(line);
            if (match.Success)
                figures[match.Groups["name"].Value] = long.Parse(match.Groups["value"].Value.Replace(",", "", StringComparison.Ordinal),
                                                                 CultureInfo.InvariantCulture);
        }
        return new FileSystemTransfer
        {
            FilesTransferred = figures.GetValueOrDefault("Number of regular files transferred"),
            FilesDeleted = figures.GetValueOrDefault("Number of deleted files"),
            BytesSent = figures.GetValueOrDefault("Total bytes sent"),
            BytesReceived = figures.GetValueOrDefault("Total bytes received"),
        };
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z ]+): (?<value>[0-9,]+)")]
    private static partial Regex Figure();
}
