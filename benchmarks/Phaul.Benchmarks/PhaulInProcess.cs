using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>Migrates a workload with Phaul, client and server in this process (README's sample), with one strategy and no fallback.</summary>
internal sealed class PhaulInProcess(string criuPath)
{
    public async Task<Measurement> MeasureAsync(int memoryMiB, MigrationStrategy strategy, CancellationToken cancellationToken)
    {
        var (workload, gapBefore) = await WorkloadProbe.StartAsync(memoryMiB, cancellationToken);
        using (workload)
        {
            using var scratch = new Scratch();
            var (sourceEnd, destinationEnd) = await scratch.SocketPairAsync(cancellationToken);
            using (sourceEnd)
            using (destinationEnd)
            {
                using var server = PhaulServer.MakePhaulServer(
                    new PhaulConfig { Memfd = (int)destinationEnd.Handle, Wdir = scratch.Sub("destination") },
                    new PhaulServerOptions { CriuFactory = NewCriu });
                var client = PhaulClient.MakePhaulClient(
                    new InProcessLocal(server), server,
                    new PhaulConfig { Pid = workload.Pid, Memfd = (int)sourceEnd.Handle, Wdir = scratch.Sub("source") },
                    new PhaulClientOptions { Strategy = strategy, AllowFallback = false, CriuFactory = NewCriu });
                var report = await client.MigrateAsync(cancellationToken);
                var restoredPid = report.RestoredPid ?? throw new InvalidOperationException("Phaul reported no restored pid");
                var downtime = await WorkloadProbe.DowntimeAfterAsync(workload, restoredPid, cancellationToken);
                var detail = Phases(report.PostCopy) ?? StopAndCopyPhases(report);
                return new Measurement(downtime, report.Duration, gapBefore)
                {
                    Detail = ForecastText.Describe(report, downtime, report.Duration) is { } forecast ? $"{forecast}; {detail}" : detail,
                };
            }
        }
    }

    // Phaul's own view of a post-copy downtime, to see where it goes.
    private static string? Phases(PostCopyReport? postCopy) => postCopy is null
        ? null
        : string.Create(CultureInfo.InvariantCulture,
            $"Phaul's phases: freeze to images written {Ms(postCopy.FreezeToImagesWritten)}, images to daemon ready {Ms(postCopy.ImagesToDaemonReady)}, " +
            $"restore {Ms(postCopy.Restore)}, freeze to resume {Ms(postCopy.FreezeToResume)}; last page {Ms(postCopy.LastPageAfterResume)} " +
            $"after the resume, {postCopy.PagesOnDemand} of {postCopy.PagesTransferred} pages on demand");

    // Where a stop-and-copy downtime goes, by CRIU's statistics of the final dump and the restore.
    private static string? StopAndCopyPhases(MigrationReport report) => report.FinalDump is not { } dump
        ? null
        : string.Create(CultureInfo.InvariantCulture,
            $"Phaul's phases: final stage {Ms(report.FinalStageDuration)}, dump frozen {Ms(dump.FrozenTime)} (memory dump {Ms(dump.MemdumpTime)}, " +
            $"memory write {Ms(dump.MemwriteTime)}), restore {Ms(report.Restore?.RestoreTime)}");

    private static string Ms(TimeSpan? time) =>
        time is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:F0} ms") : "?";

    private Criu NewCriu() => new(criuPath);
}
