using System.Diagnostics;
using System.Globalization;
using System.Net;
using Phaul;
using Phaul.FileSystem;
using Phaul.FileSystemBenchmark;
using Phaul.Transport;

// Each run: a fresh destination, the bulk copy, a copy with nothing changed (the cost of rsync's scan alone),
// the shape's changes, and the freeze copy. Medians over the runs.
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
if (RsyncProgram.Find() is null)
{
    Console.Error.WriteLine("rsync is not installed: apt-get install rsync");
    return 2;
}
Console.WriteLine($"File-system migration through Phaul.Transport over loopback, rsync at {RsyncProgram.Find()}, {runs} runs, medians");
foreach (var shape in new[] { TreeShape.ManySmallFiles, TreeShape.FewLargeFiles })
{
    var root = Directory.CreateTempSubdirectory("phaul-fs-bench-");
    try
    {
        var tree = Directory.CreateDirectory(Path.Combine(root.FullName, "tree")).FullName;
        var created = Stopwatch.StartNew();
        shape.Create(tree);
        Console.WriteLine();
        Console.WriteLine($"{shape.Name} (created in {created.Elapsed.TotalSeconds:0.0} s); before the freeze: {shape.Changes}");
        var results = new List<IReadOnlyList<(string Phase, IReadOnlyDictionary<string, long> Figures, TimeSpan Duration)>>();
        for (var run = 0; run < runs; run++)
        {
            var copy = Path.Combine(root.FullName, $"copy{run}");
            results.Add(await MeasureAsync(shape, tree, copy));
            // The next run starts from the unchanged tree again.
            Directory.Delete(tree, recursive: true);
            Directory.CreateDirectory(tree);
            shape.Create(tree);
        }
        Print(results);
    }
    finally
    {
        root.Delete(recursive: true);
    }
}
return 0;

static async Task<IReadOnlyList<(string, IReadOnlyDictionary<string, long>, TimeSpan)>> MeasureAsync(TreeShape shape, string tree, string copy)
{
    var key = PreSharedKey.Generate();
    var wdir = Directory.CreateTempSubdirectory("phaul-fs-bench-wdir-");
    try
    {
        await using var listener = MigrationListener.Start(new MigrationListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = wdir.FullName, Key = key,
        }.WithFileSystem(new FileSystemDestinationOptions { AllowedRoots = [copy] }));
        await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key);
        var fileSystem = new SubtreeFileSystem(connection.FileSystem(),
                                               new SubtreeFileSystemOptions { Subtrees = [new FileSystemSubtree(tree) { DestinationPath = copy }] });
        var bulk = await TimeAsync(() => fileSystem.BeforeIterationsAsync(CancellationToken.None));
        var unchanged = await TimeAsync(() => fileSystem.AfterPreDumpAsync(0, CancellationToken.None));
        shape.Change(tree);
        var freeze = await TimeAsync(() => fileSystem.WhileFrozenAsync(CancellationToken.None));
        await fileSystem.CompleteAsync(migrated: false, CancellationToken.None);
        return [("bulk (tree running)", bulk.Item1, bulk.Item2), ("nothing changed", unchanged.Item1, unchanged.Item2),
                ("freeze (the changes)", freeze.Item1, freeze.Item2)];
    }
    finally
    {
        wdir.Delete(recursive: true);
    }
}

static async Task<(IReadOnlyDictionary<string, long>, TimeSpan)> TimeAsync(Func<Task<IReadOnlyDictionary<string, long>>> copy)
{
    var started = Stopwatch.GetTimestamp();
    var transfer = await copy();
    return (transfer, Stopwatch.GetElapsedTime(started));
}

static void Print(List<IReadOnlyList<(string Phase, IReadOnlyDictionary<string, long> Figures, TimeSpan Duration)>> runs)
{
    Console.WriteLine($"  {"phase",-22} {"files sent",10} {"deleted",8} {"bytes sent",14} {"bytes received",15} {"time (median)",14} {"min-max",14}");
    for (var i = 0; i < runs[0].Count; i++)
    {
        var phase = runs.Select(run => run[i]).ToList();
        var times = phase.Select(p => p.Duration.TotalMilliseconds).Order().ToList();
        var figures = phase[phase.Count / 2].Figures;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {phase[0].Phase,-22} {figures["filesTransferred"],10:N0} {figures["filesDeleted"],8:N0} {figures["bytesSent"],14:N0} {figures["bytesReceived"],15:N0} " +
            $"{times[times.Count / 2],11:N0} ms {times[0],6:N0}-{times[^1],-6:N0}"));
    }
}
