namespace Phaul.Benchmarks;

/// <summary>The ways a workload is migrated, by their column names.</summary>
internal static class Methods
{
    public const string PhaulStopAndCopy = "Phaul stop-and-copy";
    public const string CliStopAndCopy = "CRIU CLI stop-and-copy (page server)";
    public const string CliStopAndCopySourceKept = "CRIU CLI stop-and-copy (source kept until restored)";
    public const string CliDumpRestore = "CRIU CLI dump + restore";
    public const string PhaulPostCopy = "Phaul post-copy";
    public const string CliPostCopy = "CRIU CLI post-copy";
    public const string TlsStopAndCopy = "transport TLS stop-and-copy";
    public const string PlainStopAndCopy = "transport plaintext stop-and-copy";
    public const string TlsPostCopy = "transport TLS post-copy";
    public const string PlainPostCopy = "transport plaintext post-copy";

    /// <summary>Every method in table order, each measuring one migration of a fresh workload of the given size.</summary>
    public static IReadOnlyList<(string Name, Func<int, CancellationToken, Task<Measurement>> Measure)> All(string criuPath, bool transportOnly)
    {
        if (transportOnly)
            return Transport(criuPath);
        var phaul = new PhaulInProcess(criuPath);
        var cli = new CriuCommandLine(criuPath);
        return
        [
            (PhaulStopAndCopy, (size, cancel) => phaul.MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel)),
            (CliStopAndCopy, cli.ThroughPageServerAsync),
            (CliStopAndCopySourceKept, cli.ThroughPageServerSourceKeptAsync),
            (CliDumpRestore, cli.DumpRestoreAsync),
            (PhaulPostCopy, (size, cancel) => phaul.MeasureAsync(size, MigrationStrategy.PostCopy, cancel)),
            (CliPostCopy, cli.PostCopyAsync),
            .. Transport(criuPath),
        ];
    }

    /// <summary>Phaul through its network transport on loopback, encrypted and not, side by side.</summary>
    private static IReadOnlyList<(string Name, Func<int, CancellationToken, Task<Measurement>> Measure)> Transport(string criuPath)
    {
        var tls = new PhaulOverTransport(criuPath, plaintext: false);
        var plain = new PhaulOverTransport(criuPath, plaintext: true);
        return
        [
            (TlsStopAndCopy, (size, cancel) => tls.MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel)),
            (PlainStopAndCopy, (size, cancel) => plain.MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel)),
            (TlsPostCopy, (size, cancel) => tls.MeasureAsync(size, MigrationStrategy.PostCopy, cancel)),
            (PlainPostCopy, (size, cancel) => plain.MeasureAsync(size, MigrationStrategy.PostCopy, cancel)),
        ];
    }
}
