using static Phaul.PreCopyLane.Figures;

namespace Phaul.PreCopyLane.Containers;

/// <summary>Prints a container scenario: the rounds, the freeze's parts, and the checks.</summary>
internal static class ContainerReportTable
{
    public static void Print(TextWriter output, ContainerScenarioResult result, IReadOnlyList<LaneCheck> checks)
    {
        var scenario = result.Scenario;
        output.WriteLine();
        output.WriteLine($"== {scenario.Name}: {scenario.Purpose}");
        output.WriteLine($"   runc container, {scenario.BallastMiB} MiB in its shell's memory; {scenario.PreDumps} pre-dumps, then {scenario.Strategy}");
        if (result.Report is { } report)
        {
            output.WriteLine($"   pre-dumps: {Size(report.PreDumpBytes)} crossed in {Milliseconds(report.PreCopy)} ms while the container ran; " +
                             $"final images {Size(report.ImageBytes)} in {report.ImageFiles} files");
            output.WriteLine($"   frozen {Milliseconds(report.Frozen)} ms (TCG-inflated): checkpoint {Milliseconds(report.Checkpoint)}, " +
                             $"transfer {Milliseconds(report.Transfer)}, restore {Milliseconds(report.Restore)} ms" +
                             (report.MemoryFollowed > TimeSpan.Zero ? $"; the rest of the memory followed in {Milliseconds(report.MemoryFollowed)} ms" : "") +
                             $"; migration {Seconds(report.Total)}");
        }
        if (scenario.CutLinkAt is { } cut)
            output.WriteLine($"   the control connection broken {Size(cut)} into its stream to the destination: {result.MigrationError?.Message ?? "the migration did not fail"}");
        output.WriteLine($"   wall time {Seconds(result.WallTime)}");
        ReportTable.PrintChecks(output, checks);
    }
}
