using static Phaul.PreCopyLane.Figures;

namespace Phaul.PreCopyLane;

/// <summary>Prints a scenario: its per-iteration CRIU statistics, what the workload saw, and the checks.</summary>
internal static class ReportTable
{
    private const string Row = "  {0,-10} {1,13} {2,17} {3,9} {4,10} {5,12} {6,13}";

    public static void Print(TextWriter output, ScenarioResult result, IReadOnlyList<LaneCheck> checks)
    {
        var scenario = result.Scenario;
        output.WriteLine();
        output.WriteLine($"== {scenario.Name}: {scenario.Purpose}");
        output.WriteLine($"   workload {scenario.Workload}; expects {scenario.ExpectedStop}");
        if (result.Report is { } report)
            PrintIterations(output, report);
        if (result.AfterVerification is { } verified)
            output.WriteLine($"   workload: longest pause it saw {Milliseconds(TimeSpan.FromMicroseconds(verified.MaxGapMicroseconds))} ms (TCG-inflated)");
        output.WriteLine($"   wall time {Seconds(result.WallTime)}");
        PrintChecks(output, checks);
    }

    public static void PrintChecks(TextWriter output, IReadOnlyList<LaneCheck> checks)
    {
        foreach (var check in checks)
            output.WriteLine($"   [{(check.Passed ? "PASS" : "FAIL")}] {check.Name}: {check.Detail}");
    }

    private static void PrintIterations(TextWriter output, MigrationReport report)
    {
        output.WriteLine(Row, "iteration", "pages written", "skipped (parent)", "skipped", "frozen ms", "memwrite ms", "iteration ms");
        foreach (var iteration in report.Iterations)
            output.WriteLine(Row, Cells($"pre-dump {iteration.Index}", iteration.Dump, iteration.Duration));
        output.WriteLine(Row, Cells(report.PostCopy is null ? "final dump" : "lazy dump", report.FinalDump, report.FinalStageDuration));
        if (report.PostCopy is { } postCopy)
            output.WriteLine($"   post-copy: freeze to resume {(postCopy.FreezeToResume is { } d ? Milliseconds(d) : "?")} ms, restore {Milliseconds(postCopy.Restore)} ms; " +
                             $"{Count(postCopy.PagesTransferred ?? 0)} pages followed ({Count(postCopy.PagesOnDemand ?? 0)} on demand), " +
                             $"the last {(postCopy.LastPageAfterResume is { } last ? Milliseconds(last) : "?")} ms after the resume");
        var restore = report.Restore is { } r ? $"{Count(r.PagesRestored)} pages restored in {Milliseconds(r.RestoreTime)} ms" : "no statistics";
        output.WriteLine($"   stop reason {report.StopReason}; restore: {restore}; final stage {Seconds(report.FinalStageDuration)}, migration {Seconds(report.Duration)}");
    }

    private static object[] Cells(string label, DumpStatistics? dump, TimeSpan duration) =>
        dump is null
            ? [label, "-", "-", "-", "-", "-", Milliseconds(duration)]
            : [label, Count(dump.PagesWritten), Count(dump.PagesSkippedParent), Share(dump.PagesSkippedParent, dump.PagesWritten + dump.PagesSkippedParent),
               Milliseconds(dump.FrozenTime), Milliseconds(dump.MemwriteTime), Milliseconds(duration)];
}
