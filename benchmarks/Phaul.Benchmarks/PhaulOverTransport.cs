using System.Globalization;
using System.Net;
using Phaul.Transport;

namespace Phaul.Benchmarks;

/// <summary>
/// Migrates a workload the way <c>phaul migrate</c> does: through Phaul.Transport to a destination service on
/// loopback, encrypted (TLS 1.3) or with both ends on --insecure-plaintext, to show what encryption costs.
/// </summary>
internal sealed class PhaulOverTransport(string criuPath, bool plaintext)
{
    public async Task<Measurement> MeasureAsync(int memoryMiB, MigrationStrategy strategy, CancellationToken cancellationToken)
    {
        var (workload, gapBefore) = await WorkloadProbe.StartAsync(memoryMiB, cancellationToken);
        using (workload)
        {
            using var scratch = new Scratch();
            var key = PreSharedKey.Generate();
            await using var listener = MigrationListener.Start(new MigrationListenerOptions
            {
                EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = scratch.Sub("destination"), Key = key, InsecurePlaintext = plaintext,
                Server = new PhaulServerOptions { CriuFactory = NewCriu },
            });
            await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key,
                new MigrationConnectionOptions { InsecurePlaintext = plaintext }, cancellationToken: cancellationToken);
            var client = PhaulClient.MakePhaulClient(connection.Local, connection.Remote,
                new PhaulConfig { Pid = workload.Pid, Memfd = connection.Memfd, Wdir = scratch.Sub("source") },
                new PhaulClientOptions { Strategy = strategy, AllowFallback = false, CriuFactory = NewCriu });
            var report = await client.MigrateAsync(cancellationToken);
            var restoredPid = report.RestoredPid ?? throw new InvalidOperationException("Phaul reported no restored pid");
            var downtime = await WorkloadProbe.DowntimeAfterAsync(workload, restoredPid, cancellationToken);
            return new Measurement(downtime, report.Duration, gapBefore)
            {
                Detail = Join(ForecastText.Describe(report, downtime, report.Duration), Join(MemoryStream(report), Phases(report.Freeze))),
            };
        }
    }

    // The memory stream's throughput: the final dump's pages over the time CRIU spent writing them to the connection;
    // post-copy: every page over the time until the last arrived.
    private static string? MemoryStream(MigrationReport report)
    {
        if (report.PostCopy is { PagesTransferred: { } pages, LastPageAfterResume: { } last } && last > TimeSpan.Zero)
            return Throughput((long)pages, last, "post-copy pages, resume to last page");
        if (report.FinalDump is { PagesWritten: > 0 } dump && dump.MemwriteTime > TimeSpan.Zero)
            return Throughput((long)dump.PagesWritten, dump.MemwriteTime, "final dump's memory write");
        return null;
    }

    // Where a stop-and-copy's downtime went, as the report accounts for it.
    private static string? Phases(FreezeReport? freeze) => freeze is null ? null : string.Create(CultureInfo.InvariantCulture,
        $"phases: images written {freeze.FreezeToImagesWritten?.TotalMilliseconds:F0} ms, image transfer {freeze.ImageTransfer.TotalMilliseconds:F0} ms, " +
        $"restore {freeze.Restore.TotalMilliseconds:F0} ms, hand-over {freeze.HandOver.TotalMilliseconds:F0} ms, " +
        $"freeze to resume {freeze.FreezeToResume?.TotalMilliseconds:F0} ms");

    private static string? Join(string? first, string? second) => first is null ? second : second is null ? first : $"{first}; {second}";

    private static string Throughput(long pages, TimeSpan time, string what) =>
        string.Create(CultureInfo.InvariantCulture,
            $"memory stream {pages * 4096 / 1e6 / time.TotalSeconds:F0} MB/s ({pages * 4096 / (1 << 20)} MiB in {time.TotalMilliseconds:F0} ms, {what})");

    private Criu NewCriu() => new(criuPath);
}
