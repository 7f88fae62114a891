namespace Phaul.Benchmarks;

/// <summary>
/// One way to migrate a workload: its key for <c>--methods</c>, its name (a table column, a plot line), and
/// how it measures one migration of a fresh workload of the given size with the CRIU at the given path.
/// </summary>
internal sealed record Method(string Key, string Name, Func<string, int, CancellationToken, Task<Measurement>> Measure);
