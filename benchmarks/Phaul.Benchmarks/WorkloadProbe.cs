using Phaul.DemoWorkload;

namespace Phaul.Benchmarks;

/// <summary>
/// Starts a workload for one measurement and reads what it saw after it moved. Gaps are the wall clock's
/// (<see cref="WorkloadStatus.MaxWallGapMicroseconds"/>): CRIU restores into a time namespace whose
/// monotonic clock hides most of the stop.
/// </summary>
internal static class WorkloadProbe
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(30);

    /// <summary>A fresh workload that has run a while, and its largest gap so far.</summary>
    public static async Task<(Workload Workload, TimeSpan GapBefore)> StartAsync(int memoryMiB, CancellationToken cancellationToken)
    {
        var workload = await Workload.StartAsync(memoryMiB, cancellationToken: cancellationToken);
        try
        {
            var status = await workload.WaitForProgressAsync(100, Progress, cancellationToken);
            return (workload, TimeSpan.FromMicroseconds(status.MaxWallGapMicroseconds));
        }
        catch
        {
            workload.Dispose();
            throw;
        }
    }

    /// <summary>Adopts the restored root, lets it run, checks its memory and returns its largest gap.</summary>
    /// <exception cref="InvalidOperationException">The restored workload found bad memory.</exception>
    public static async Task<TimeSpan> DowntimeAfterAsync(Workload workload, int restoredPid, CancellationToken cancellationToken)
    {
        workload.AdoptRestored(restoredPid);
        var status = await workload.WaitForProgressAsync(100, Progress, cancellationToken);
        if (status.BadWords != 0)
            throw new InvalidOperationException($"the restored workload found {status.BadWords} bad words");
        return TimeSpan.FromMicroseconds(status.MaxWallGapMicroseconds);
    }
}
