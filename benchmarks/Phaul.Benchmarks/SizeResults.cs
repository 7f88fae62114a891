using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>The measurements of one workload size, and the table row of their medians.</summary>
internal sealed class SizeResults(int memoryMiB)
{
    public int MemoryMiB => memoryMiB;

    public List<Measurement> Phaul { get; } = [];

    public List<Measurement> CliDumpRestore { get; } = [];

    public List<Measurement> CliPageServer { get; } = [];

    public const string Header =
        "| memory | Phaul in-process stop-and-copy downtime | CRIU CLI dump + restore downtime | CRIU CLI page server (loopback) downtime | Phaul wall time | CRIU CLI dump + restore wall time | CRIU CLI page server wall time |\n" +
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

    public string Row() =>
        string.Create(CultureInfo.InvariantCulture,
                      $"| {memoryMiB} MiB | {Downtime(Phaul)} | {Downtime(CliDumpRestore)} | {Downtime(CliPageServer)} | " +
                      $"{Milliseconds(Median(Phaul, m => m.WallTime))} | {Milliseconds(Median(CliDumpRestore, m => m.WallTime))} | " +
                      $"{Milliseconds(Median(CliPageServer, m => m.WallTime))} |");

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

    private static string Milliseconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:F0} ms");
}
