using System.Globalization;
using System.Text.RegularExpressions;

namespace Phaul;

/// <summary>
/// Reads what CRIU's lazy-pages daemon logged about the pages it moved. At log level 4 it logs, per
/// restored process, <c>#PF at ADDRESS</c> for each page fault it served and, once the process has all
/// its pages, <c>UFFD transferred pages: (COPIED/TOTAL)</c>.
/// </summary>
internal static partial class LazyPagesStatisticsReader
{
    public static async Task<LazyPagesStatistics> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            return new LazyPagesStatistics();
        ulong faults = 0, transferred = 0, total = 0;
        var summaries = 0;
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (line.Contains("#PF at", StringComparison.Ordinal))
            {
                faults++;
                continue;
            }
            var summary = TransferredPattern().Match(line);
            if (!summary.Success)
                continue;
            summaries++;
            transferred += ulong.Parse(summary.Groups[1].Value, CultureInfo.InvariantCulture);
            total += ulong.Parse(summary.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return summaries == 0
            ? new LazyPagesStatistics()
            : new LazyPagesStatistics { PagesToFetch = total, PagesTransferred = transferred, PagesOnDemand = faults };
    }

    [GeneratedRegex(@"UFFD transferred pages: \((\d+)/(\d+)\)")]
    private static partial Regex TransferredPattern();
}
