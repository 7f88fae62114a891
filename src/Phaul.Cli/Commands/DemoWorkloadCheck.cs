using Phaul.Cli.Migration;
using Phaul.DemoWorkload;

namespace Phaul.Cli.Commands;

/// <summary>The demo's workload: starting it, showing its state, and proving it continued after the migration.</summary>
internal static class DemoWorkloadCheck
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // About 100 ms of the workload's 1 ms turns: enough to see it run, verifying memory as it goes.
    private const long TurnsToWatch = 100;

    /// <summary>Starts the workload and shows its state; null (the reason on stderr) when it cannot start.</summary>
    public static async Task<Workload?> StartAsync(int memoryMiB, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            var workload = await Workload.StartAsync(memoryMiB, cancellationToken: cancellationToken).ConfigureAwait(false);
            WriteState(stdout, "workload", workload.Pid, workload.ReadStatus());
            stdout.WriteLine("             the root of its own PID namespace; it counts turns (about one per ms), keeps verifying its memory " +
                             "against a pattern, and records its longest gap between two turns");
            return workload;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            stderr.WriteLine($"phaul demo: the workload could not start: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Whether the workload runs under the restored pid, its source copy is gone, and its counter and
    /// memory checks advanced past <paramref name="before"/> with no bad word; says so on stdout.
    /// </summary>
    public static async Task<bool> ConfirmContinuedAsync(Workload workload, WorkloadStatus before, int? restored,
                                                         TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (restored is not { } restoredPid)
        {
            stderr.WriteLine("phaul demo: the destination reported no restored pid");
            return false;
        }
        var sourcePid = workload.Pid;
        WorkloadStatus after;
        try
        {
            // CRIU kills the source copy once the destination confirmed the restore.
            await workload.WaitForExitAsync(Patience, cancellationToken).ConfigureAwait(false);
            workload.AdoptRestored(restoredPid);
            after = await workload.WaitForProgressAsync(TurnsToWatch, Patience, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            stderr.WriteLine($"phaul demo: the workload did not continue on the destination: {e.Message}");
            return false;
        }

        WriteState(stdout, "after", restoredPid, after);
        stdout.WriteLine($"downtime     the workload's longest gap between two turns, by the wall clock: {Millis(after.MaxWallGapMicroseconds)} " +
                         $"(before the migration: {Millis(before.MaxWallGapMicroseconds)})");
        // CRIU restores the tree into a time namespace whose monotonic offset hides the frozen time from that
        // clock; a longer gap after the resume (post-copy pages arriving) shows on both.
        var hidden = after.MaxGapMicroseconds < after.MaxWallGapMicroseconds
            ? "; CRIU restores it into a time namespace whose offset hides the frozen time from that clock"
            : "";
        stdout.WriteLine($"             by its own monotonic clock: {Millis(after.MaxGapMicroseconds)}{hidden}");
        var continued = workload.IsRunning && after.Counter > before.Counter && after.VerifiedWords > before.VerifiedWords
                        && after.BadWords == 0;
        stdout.WriteLine(continued
            ? $"The workload continues as pid {restoredPid} (was {sourcePid}): counter {Units.Count(after.Counter)} > {Units.Count(before.Counter)} " +
              "before the migration, its memory intact."
            : $"The workload did NOT continue intact: pid {restoredPid} running {workload.IsRunning}, " +
              $"counter {after.Counter} (before {before.Counter}), bad words {after.BadWords}.");
        return continued;
    }

    private static void WriteState(TextWriter stdout, string label, int pid, WorkloadStatus status) =>
        stdout.WriteLine($"{label,-12} pid {pid}: counter {Units.Count(status.Counter)}, {Units.Count(status.VerifiedWords)} memory words verified, " +
                         $"{Units.Count(status.BadWords)} bad, longest gap {Millis(status.MaxWallGapMicroseconds)}");

    private static string Millis(long microseconds) => Units.Duration(TimeSpan.FromMicroseconds(microseconds));
}
