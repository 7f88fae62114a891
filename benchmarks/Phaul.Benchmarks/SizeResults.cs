using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>The measurements of one workload size by every method, and the table rows of their medians.</summary>
internal sealed class SizeResults(int memoryMiB, IReadOnlyList<Method> methods)
{
    private readonly Dictionary<Method, List<Measurement>> _runs = methods.ToDictionary(method => method, _ => new List<Measurement>());

    public void Add(Method method, Measurement measurement) => _runs[method].Add(measurement);

    // The downtime ratios worth reading, each shown when both its methods ran.
    private static readonly (Method Numerator, Method Denominator)[] Ratios =
    [
        (Methods.PhaulStopAndCopy, Methods.CliStopAndCopySourceKept),
        (Methods.PhaulPostCopy, Methods.CliPostCopy),
        (Methods.PhaulStopAndCopy, Methods.PhaulPostCopy),
        (Methods.TlsStopAndCopy, Methods.PlainStopAndCopy),
        (Methods.TlsPostCopy, Methods.PlainPostCopy),
    ];

    /// <summary>The downtime table's header: one column per method, then the ratios between the methods that ran.</summary>
    public static string DowntimeHeader(IReadOnlyList<Method> methods) =>
        Header([.. methods.Select(method => method.Name), .. RatiosOf(methods).Select(ratio => $"{ratio.Numerator.Name} / {ratio.Denominator.Name}")]);

    private static IEnumerable<(Method Numerator, Method Denominator)> RatiosOf(IReadOnlyList<Method> methods) =>
        Ratios.Where(ratio => methods.Contains(ratio.Numerator) && methods.Contains(ratio.Denominator));

    public static string WallTimeHeader(IReadOnlyList<Method> methods) => Header([.. methods.Select(method => method.Name)]);

    private static string Header(IReadOnlyList<string> columns) =>
        $"| memory | {string.Join(" | ", columns)} |\n| ---: |{string.Concat(Enumerable.Repeat(" ---: |", columns.Count))}";

    public string DowntimeRow() =>
        $"| {memoryMiB} MiB | {string.Join(" | ", [.. methods.Select(method => Downtime(_runs[method])), .. RatiosOf(methods).Select(Ratio)])} |";

    public string WallTimeRow() =>
        $"| {memoryMiB} MiB | {string.Join(" | ", methods.Select(method => Milliseconds(Median(_runs[method], m => m.WallTime))))} |";

    private string Ratio((Method Numerator, Method Denominator) ratio)
    {
        var (numerator, denominator) = ratio;
        var below = Median(_runs[denominator], m => m.Downtime);
        return below <= TimeSpan.Zero ? "" : string.Create(CultureInfo.InvariantCulture, $"{Median(_runs[numerator], m => m.Downtime) / below:F2}x");
    }

    /// <summary>The median downtime; a star when a run's gap before the migration was as large (load hid the migration).</summary>
    private static string Downtime(List<Measurement> runs) =>
        Milliseconds(Median(runs, m => m.Downtime)) + (runs.All(m => m.IsClean) ? "" : " *");

    private static TimeSpan Median(List<Measurement> runs, Func<Measurement, TimeSpan> pick)
    {
        var sorted = runs.Select(pick).Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero
             : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
             : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Milliseconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:N0} ms");
}
