using System.Globalization;
using Phaul.Benchmarks;

// Downtime of a stop-and-copy migration as the workload sees it: Phaul in-process next to the plain
// CRIU command line, each run on a fresh workload, the methods interleaved so load affects all alike.
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
var phaul = new PhaulInProcess(options.CriuPath);
var cli = new CriuCommandLine(options.CriuPath);
Console.WriteLine($"CRIU {options.CriuPath}; {Environment.ProcessorCount} CPUs; load average at start: {LoadAverage()}");

// One-time costs (JIT and type loading in this process, CRIU's kernel-feature cache) stay out of the table.
const int WarmUpMiB = 8;
await phaul.MeasureAsync(WarmUpMiB, cancel.Token);
await cli.DumpRestoreAsync(WarmUpMiB, cancel.Token);
await cli.ThroughPageServerAsync(WarmUpMiB, cancel.Token);
Console.WriteLine($"Warmed up with one {WarmUpMiB} MiB migration per method (not counted).");

var results = new List<SizeResults>();
foreach (var size in options.SizesMiB)
{
    var result = new SizeResults(size);
    results.Add(result);
    for (var run = 1; run <= options.Repeat; run++)
    {
        Report(size, run, "Phaul in-process", await phaul.MeasureAsync(size, cancel.Token), result.Phaul);
        Report(size, run, "CRIU CLI dump + restore", await cli.DumpRestoreAsync(size, cancel.Token), result.CliDumpRestore);
        Report(size, run, "CRIU CLI page server", await cli.ThroughPageServerAsync(size, cancel.Token), result.CliPageServer);
    }
}

Console.WriteLine();
Console.WriteLine($"Medians of {options.Repeat} run(s); load average at end: {LoadAverage()}");
Console.WriteLine(SizeResults.Header);
foreach (var result in results)
    Console.WriteLine(result.Row());
Console.WriteLine("Downtime: the workload's largest heartbeat gap after the migration. * a run had as large a gap before it (load).");
return 0;

static void Report(int size, int run, string method, Measurement measurement, List<Measurement> into)
{
    into.Add(measurement);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{size} MiB run {run} {method}: downtime {measurement.Downtime.TotalMilliseconds:F0} ms, wall {measurement.WallTime.TotalMilliseconds:F0} ms " +
        $"(largest gap before: {measurement.LargestGapBefore.TotalMilliseconds:F0} ms)"));
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
