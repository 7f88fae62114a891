using System.Globalization;
using Phaul.Benchmarks;

// Downtime of a migration as the workload sees it (its largest wall-clock heartbeat gap), stop-and-copy
// and post-copy: Phaul in-process next to the plain CRIU command line, each run on a fresh workload,
// the methods interleaved so load affects all alike.
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"{e.Message}{Environment.NewLine}{BenchmarkOptions.Usage}");
    return 2;
}
if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("CRIU needs root: run the benchmarks as root.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var methods = options.MethodsToRun;
var conditions = await RunConditions.ReadAsync(options.CriuPath, cancel.Token);
Console.WriteLine($"{conditions}: {options.CriuPath}; fs.pipe-max-size {File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim()}; " +
                  $"load average at start: {LoadAverage()}");

// One-time costs (JIT and type loading in this process, CRIU's kernel-feature cache) stay out of the table.
const int WarmUpMiB = 8;
foreach (var method in methods)
    await method.Measure(options.CriuPath, WarmUpMiB, cancel.Token);
Console.WriteLine($"Warmed up with one {WarmUpMiB} MiB migration per method (not counted).");

var results = new List<SizeResults>();
foreach (var size in options.SizesMiB)
{
    var result = new SizeResults(size, methods);
    results.Add(result);
    for (var run = 1; run <= options.Repeat; run++)
    {
        foreach (var method in methods)
        {
            var measurement = await method.Measure(options.CriuPath, size, cancel.Token);
            result.Add(method, measurement);
            Report(size, run, method.Name, measurement);
        }
    }
}

Console.WriteLine();
Console.WriteLine($"Medians of {options.Repeat} run(s); load average at end: {LoadAverage()}");
var table = new ResultsTable(methods, results);
table.Write(Console.Out);
if (options.MarkdownPath is { } markdown)
{
    await table.WriteMarkdownAsync(markdown, conditions, options.Repeat, cancel.Token);
    Console.WriteLine($"Tables written to {markdown}.");
}
if (options.PlotPath is { } plot)
{
    ResultsPlot.Save(plot, methods, results, conditions, options.Repeat);
    Console.WriteLine($"Plot drawn in {plot}.");
}
return 0;

static void Report(int size, int run, string method, Measurement measurement) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{size} MiB run {run} {method}: downtime {measurement.Downtime.TotalMilliseconds:F0} ms, wall {measurement.WallTime.TotalMilliseconds:F0} ms " +
        $"(largest gap before: {measurement.LargestGapBefore.TotalMilliseconds:F0} ms){(measurement.Detail is { } detail ? $"; {detail}" : "")}"));

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
