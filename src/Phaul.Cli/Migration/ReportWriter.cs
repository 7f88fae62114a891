namespace Phaul.Cli.Migration;

/// <summary>Writes a migration's report as aligned lines a person reads: strategy, iterations, final dump, restore, timings.</summary>
internal static class ReportWriter
{
    public static void Write(TextWriter output, MigrationOutcome outcome)
    {
        var report = outcome.Report;
        var restoredPid = report.RestoredPid ?? outcome.Restored?.Pid;
        output.WriteLine(restoredPid is { } pid
            ? $"Migrated pid {report.Pid} to {outcome.Destination}; it runs there as pid {pid}."
            : $"Migrated pid {report.Pid} to {outcome.Destination}.");
        Line(output, "strategy", Strategy(report));
        foreach (var iteration in report.Iterations)
            Line(output, $"iteration {iteration.Index}", $"pre-dump {Dump(iteration.Dump)}, took {Units.Duration(iteration.Duration)}");
        Line(output, "final dump", Dump(report.FinalDump));
        if (outcome.Restored is { } restored)
            Line(output, "image files", $"{restored.ImageFiles} files ({Units.Bytes(restored.ImageBytes)}) sent with the tree frozen; " +
                                        $"transfer and restore took {Units.Duration(restored.TransferAndRestoreTime)}");
        Line(output, "restore", report.Restore is { } restore
            ? $"{Units.Pages(restore.PagesRestored)} restored in {Units.Duration(restore.RestoreTime)} (forking {Units.Duration(restore.ForkingTime)})"
            : "no statistics from the destination");
        Line(output, "final stage", $"{Units.Duration(report.FinalStageDuration)} (dump, transfer, restore: the longest the tree was stopped, seen from here)");
        Line(output, "restored pid", restoredPid is { } p ? $"{p} on the destination" : "not reported");
        Line(output, "total", Units.Duration(report.Duration));
    }

    private static string Strategy(MigrationReport report) => report.Strategy == MigrationStrategy.PreCopy
        ? $"pre-copy, {report.Iterations.Count} pre-dump(s); stopped because {ReportText.StopReason(report.StopReason)}"
        : $"{ReportText.Strategy(report.Strategy)}: {ReportText.StopReason(report.StopReason)}";

    private static string Dump(DumpStatistics? dump) => dump is null
        ? "(no statistics from CRIU)"
        : $"{Units.Pages(dump.PagesWritten)} written, {Units.Count((long)dump.PagesSkippedParent)} unchanged since the previous iteration, " +
          $"tree frozen {Units.Duration(dump.FrozenTime)}";

    private static void Line(TextWriter output, string label, string text) => output.WriteLine($"  {label,-13} {text}");
}
