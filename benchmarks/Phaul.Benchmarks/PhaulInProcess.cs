namespace Phaul.Benchmarks;

/// <summary>Migrates a workload with Phaul, client and server in this process (README's sample), default options.</summary>
internal sealed class PhaulInProcess(string criuPath)
{
    public async Task<Measurement> MeasureAsync(int memoryMiB, CancellationToken cancellationToken)
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
                    new PhaulClientOptions { Strategy = StrategyChoice.StopAndCopy, CriuFactory = NewCriu });
                var report = await client.MigrateAsync(cancellationToken);
                var restoredPid = report.RestoredPid ?? throw new InvalidOperationException("Phaul reported no restored pid");
                var downtime = await WorkloadProbe.DowntimeAfterAsync(workload, restoredPid, cancellationToken);
                return new Measurement(downtime, report.Duration, gapBefore);
            }
        }
    }

    private Criu NewCriu() => new(criuPath);
}
