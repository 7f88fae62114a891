namespace Phaul.Benchmarks;

/// <summary>The ways a workload is migrated, by their column names.</summary>
internal static class Methods
{
    public const string PhaulStopAndCopy = "Phaul stop-and-copy";
    public const string CliStopAndCopy = "CRIU CLI stop-and-copy (page server)";
    public const string CliDumpRestore = "CRIU CLI dump + restore";
    public const string PhaulPostCopy = "Phaul post-copy";
    public const string CliPostCopy = "CRIU CLI post-copy";

    /// <summary>Every method in table order, each measuring one migration of a fresh workload of the given size.</summary>
    public static IReadOnlyList<(string Name, Func<int, CancellationToken, Task<Measurement>> Measure)> All(string criuPath)
    {
        var phaul = new PhaulInProcess(criuPath);
        var cli = new CriuCommandLine(criuPath);
        return
        [
            (PhaulStopAndCopy, (size, cancel) => phaul.MeasureAsync(size, StrategyChoice.StopAndCopy, cancel)),
            (CliStopAndCopy, cli.ThroughPageServerAsync),
            (CliDumpRestore, cli.DumpRestoreAsync),
            (PhaulPostCopy, (size, cancel) => phaul.MeasureAsync(size, StrategyChoice.PostCopy, cancel)),
            (CliPostCopy, cli.PostCopyAsync),
        ];
    }
}
