using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>
/// The medians as two Markdown tables, one row per size and one column per method: downtime (with the ratios
/// worth reading) and wall time. Printed at the end of a run, and written to a file with <c>--markdown</c>.
/// </summary>
internal sealed class ResultsTable(IReadOnlyList<Method> methods, IReadOnlyList<SizeResults> results)
{
    // The downtime ratios worth reading, each shown when both its methods ran.
    private static readonly (Method Numerator, Method Denominator)[] Ratios =
    [
        (Methods.PhaulStopAndCopy, Methods.CliStopAndCopySourceKept),
        (Methods.PhaulPostCopy, Methods.CliPostCopy),
        (Methods.PhaulStopAndCopy, Methods.PhaulPostCopy),
        (Methods.TlsStopAndCopy, Methods.PlainStopAndCopy),
        (Methods.TlsPostCopy, Methods.PlainPostCopy),
    ];

    /// <summary>Both tables, each after a line saying what it shows.</summary>
    public void Write(TextWriter writer)
    {
        var ratios = Ratios.Where(ratio => methods.Contains(ratio.Numerator) && methods.Contains(ratio.Denominator)).ToList();
        writer.WriteLine("Downtime, the workload's largest wall-clock heartbeat gap after the migration (* a run had as large a gap before it: load):");
        writer.WriteLine();
        WriteTable(writer, [.. methods.Select(method => method.Name), .. ratios.Select(ratio => $"{ratio.Numerator.Name} / {ratio.Denominator.Name}")],
                   result => [.. methods.Select(method => Downtime(result, method)), .. ratios.Select(ratio => Ratio(result, ratio))]);
        writer.WriteLine();
        writer.WriteLine("Wall time of the whole migration (post-copy: until the last page arrived):");
        writer.WriteLine();
        WriteTable(writer, [.. methods.Select(method => method.Name)],
                   result => [.. methods.Select(method => Milliseconds(result.MedianWallTime(method)))]);
    }

    /// <summary>Writes a Markdown file: a heading, the conditions of the run, and both tables.</summary>
    public async Task WriteMarkdownAsync(string path, RunConditions conditions, int repeat, CancellationToken cancellationToken)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        text.WriteLine("# Downtime against memory size");
        text.WriteLine();
        text.WriteLine($"{conditions}; medians of {repeat} run(s) of each method per size.");
        text.WriteLine();
        Write(text);
        await File.WriteAllTextAsync(path, text.ToString(), cancellationToken);
    }

    private void WriteTable(TextWriter writer, IReadOnlyList<string> columns, Func<SizeResults, IEnumerable<string>> cells)
    {
        writer.WriteLine($"| memory | {string.Join(" | ", columns)} |");
        writer.WriteLine($"| ---: |{string.Concat(Enumerable.Repeat(" ---: |", columns.Count))}");
        foreach (var result in results)
            writer.WriteLine($"| {result.MemoryMiB} MiB | {string.Join(" | ", cells(result))} |");
    }

    /// <summary>The median downtime; a star when a run's gap before the migration was as large (load hid the migration).</summary>
    private static string Downtime(SizeResults result, Method method) =>
        Milliseconds(result.MedianDowntime(method)) + (result.AllClean(method) ? "" : " *");

    private static string Ratio(SizeResults result, (Method Numerator, Method Denominator) ratio)
    {
        var below = result.MedianDowntime(ratio.Denominator);
        return below <= TimeSpan.Zero ? "" : string.Create(CultureInfo.InvariantCulture, $"{result.MedianDowntime(ratio.Numerator) / below:F2}x");
    }

    private static string Milliseconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:N0} ms");
}
