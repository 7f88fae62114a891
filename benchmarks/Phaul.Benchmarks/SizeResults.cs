namespace Phaul.Benchmarks;

/// <summary>The measurements of one workload size by every method, and their medians.</summary>
internal sealed class SizeResults(int memoryMiB, IReadOnlyList<Method> methods)
{
    private readonly Dictionary<Method, List<Measurement>> _runs = methods.ToDictionary(method => method, _ => new List<Measurement>());

    public int MemoryMiB => memoryMiB;

    public void Add(Method method, Measurement measurement) => _runs[method].Add(measurement);

    public TimeSpan MedianDowntime(Method method) => Median(_runs[method], m => m.Downtime);

    public TimeSpan MedianWallTime(Method method) => Median(_runs[method], m => m.WallTime);

    /// <summary>Whether every run's downtime was the migration's, not a gap as large from load before it.</summary>
    public bool AllClean(Method method) => _runs[method].All(m => m.IsClean);

    private static TimeSpan Median(List<Measurement> runs, Func<Measurement, TimeSpan> pick)
    {
        var sorted = runs.Select(pick).Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero
             : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
             : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
