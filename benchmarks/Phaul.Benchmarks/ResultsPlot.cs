using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace Phaul.Benchmarks;

/// <summary>
/// Downtime and total time against memory size, one line with markers per method, both axes logarithmic:
/// two panels, one above the other, in one PNG (<c>--plot</c>). Drawn with ScottPlot on SkiaSharp, headless.
/// </summary>
internal static class ResultsPlot
{
    private const int Width = 1500;
    private const int PanelHeight = 650;

    // ScottPlot's default font is the first Skia finds when its preferred one is missing: a serif on Debian.
    private const string Font = "DejaVu Sans";

    // Ticks at round numbers of each decade: 1, 2 and 5 over a wide range; every whole step over one or two decades.
    private static readonly double[] WideTickSteps = [1, 2, 5];
    private static readonly double[] NarrowTickSteps = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    // Shapes as well as colours, so that lines that cross stay apart.
    private static readonly MarkerShape[] Markers =
        [MarkerShape.FilledCircle, MarkerShape.FilledSquare, MarkerShape.FilledTriangleUp, MarkerShape.FilledDiamond, MarkerShape.FilledTriangleDown];

    public static void Save(string path, IReadOnlyList<Method> methods, IReadOnlyList<SizeResults> results, RunConditions conditions, int repeat)
    {
        var multiplot = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Rows() };
        var caption = $"({conditions}; medians of {repeat} run(s))";
        Draw(multiplot.GetPlot(0), $"Downtime against memory size {caption}", "downtime: the workload's largest heartbeat gap (ms, log scale)",
             methods, results, (result, method) => result.MedianDowntime(method));
        Draw(multiplot.AddPlot(), $"Total time against memory size {caption}", "total time; post-copy: until the last page (ms, log scale)",
             methods, results, (result, method) => result.MedianWallTime(method));
        multiplot.SavePng(path, Width, 2 * PanelHeight);
    }

    private static void Draw(Plot plot, string title, string yLabel, IReadOnlyList<Method> methods, IReadOnlyList<SizeResults> results,
                             Func<SizeResults, Method, TimeSpan> median)
    {
        plot.Font.Set(Font);
        // ScottPlot 5 has no logarithmic axis: the lines are drawn in log10 of the values, and the ticks say what they stand for.
        double[] sizes = [.. results.Select(result => Math.Log10(result.MemoryMiB))];
        // A time below 1 ms (none expected) is drawn at 1 ms: its logarithm stays finite.
        var lines = methods.Select(method => (method.Name, Milliseconds: results.Select(result => Math.Max(median(result, method).TotalMilliseconds, 1)).ToList())).ToList();
        foreach (var ((name, milliseconds), index) in lines.Select((line, index) => (line, index)))
        {
            var line = plot.Add.Scatter(sizes, [.. milliseconds.Select(Math.Log10)]);
            line.LegendText = name;
            line.MarkerShape = Markers[index % Markers.Length];
            line.MarkerSize = 9;
            line.LineWidth = 2;
        }
        var sizeTicks = new NumericManual();
        foreach (var result in results)
            sizeTicks.AddMajor(Math.Log10(result.MemoryMiB), result.MemoryMiB.ToString("N0", CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = sizeTicks;
        var (timeTicks, lowest, highest) = TimeTicks([.. lines.SelectMany(line => line.Milliseconds)]);
        plot.Axes.Left.TickGenerator = timeTicks;
        plot.Axes.SetLimits(sizes.Min() - 0.1, sizes.Max() + 0.1, Math.Log10(lowest), Math.Log10(highest));
        plot.Title(title, size: 16);
        plot.XLabel("memory size (MiB, log scale)");
        plot.YLabel(yLabel);
        plot.ShowLegend(Edge.Right);
    }

    /// <summary>Ticks at round numbers, from the last at or below the shortest time to the first at or above the longest.</summary>
    private static (NumericManual Ticks, double Lowest, double Highest) TimeTicks(IReadOnlyList<double> milliseconds)
    {
        var (firstDecade, lastDecade) = ((int)Math.Floor(Math.Log10(milliseconds.Min())), (int)Math.Ceiling(Math.Log10(milliseconds.Max())));
        var steps = Enumerable.Range(firstDecade, lastDecade - firstDecade + 1)
            .SelectMany(decade => (lastDecade - firstDecade <= 2 ? NarrowTickSteps : WideTickSteps).Select(step => step * Math.Pow(10, decade)))
            .ToList();
        var (lowest, highest) = (steps.Last(step => step <= milliseconds.Min()), steps.First(step => step >= milliseconds.Max()));
        var ticks = new NumericManual();
        foreach (var tick in steps.Where(step => step >= lowest && step <= highest))
            ticks.AddMajor(Math.Log10(tick), tick.ToString("N0", CultureInfo.InvariantCulture));
        return (ticks, lowest, highest);
    }
}
