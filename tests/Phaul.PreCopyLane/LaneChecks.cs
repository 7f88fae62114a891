using static Phaul.PreCopyLane.Figures;

namespace Phaul.PreCopyLane;

/// <summary>
/// What a scenario must show, judged from CRIU's own statistics in the <see cref="MigrationReport"/> and from
/// the workload's reports after the restore. A hybrid's final stage is lazy: instead of a final dump's
/// statistics, its post-copy report must show every page arrived.
/// </summary>
internal static class LaneChecks
{
    /// <summary>Each later pre-dump must skip at least this share of the pages the first one wrote.</summary>
    public const double MinSkippedOfFirst = 0.5;

    /// <summary>The final dump may write at most this share of the pages the first pre-dump wrote.</summary>
    public const double MaxFinalOfFirst = 0.25;

    public static IReadOnlyList<LaneCheck> Evaluate(ScenarioResult result)
    {
        if (result.Failure is { } failure)
            return [new LaneCheck("migration completed", false, $"{failure.GetType().Name}: {failure.Message}")];
        var report = result.Report!;
        var scenario = result.Scenario;
        var hybrid = scenario.Strategy == MigrationStrategy.Hybrid;
        var expected = hybrid ? MigrationStrategy.Hybrid : MigrationStrategy.PreCopy;
        List<LaneCheck> checks =
        [
            new($"{expected} chosen (CRIU reported memory tracking{(hybrid ? " and lazy pages" : "")})", report.Strategy == expected,
                $"strategy {report.Strategy}{(report.StrategyNote is { } note ? $" ({note})" : "")}"),
            new($"stopped by {scenario.ExpectedStop}", report.StopReason == scenario.ExpectedStop, $"stop reason {report.StopReason}"),
            PreDumpCount(report, scenario.ExpectedPreDumps),
        ];
        if (hybrid)
            checks.AddRange(HybridChecks(report, scenario.Workload));
        else if (PreDumpStatistics(report) is { Count: > 1 } dumps && report.FinalDump is { } final)
        {
            checks.Add(FirstCopiedAll(dumps[0], scenario.Workload));
            checks.Add(WrittenFell(dumps));
            checks.Add(SkippedLarge(dumps));
            checks.Add(FinalSmall(dumps[0], final));
        }
        else
        {
            checks.Add(new("CRIU statistics for every pre-dump and the final dump", false,
                           $"{report.Iterations.Count(i => i.Dump is not null)} of {report.Iterations.Count} pre-dumps, final {(report.FinalDump is null ? "none" : "present")}"));
        }
        checks.AddRange(WorkloadChecks(result));
        return checks;
    }

    private static IEnumerable<LaneCheck> HybridChecks(MigrationReport report, WorkloadShape workload)
    {
        if (PreDumpStatistics(report) is not { Count: > 0 } dumps)
        {
            yield return new("CRIU statistics for every pre-dump", false, $"{report.Iterations.Count(i => i.Dump is not null)} of {report.Iterations.Count}");
            yield break;
        }
        yield return FirstCopiedAll(dumps[0], workload);
        if (dumps.Count > 1)
            yield return WrittenFell(dumps);
        var pages = report.PostCopy;
        yield return new("post-copy finished: every page the restored tree lacked arrived",
                         pages is { PagesToFetch: { } toFetch, PagesTransferred: { } transferred } && toFetch > 0 && transferred == toFetch,
                         pages is null ? "no post-copy report"
                             : $"{Count(pages.PagesTransferred ?? 0)} of {Count(pages.PagesToFetch ?? 0)} pages arrived, {Count(pages.PagesOnDemand ?? 0)} on demand, " +
                               $"last {Milliseconds(pages.LastPageAfterResume ?? TimeSpan.Zero)} ms after the resume");
        // Pre-copy moved the cold memory already: only what changed since the last pre-dump follows the resumed tree.
        yield return new($"post-copy moved <= {MaxFinalOfFirst:P0} of the first pre-dump's pages (the rest came from the pre-dumps)",
                         pages?.PagesTransferred is { } moved && moved <= dumps[0].PagesWritten * MaxFinalOfFirst,
                         $"{Count(pages?.PagesTransferred ?? 0)} pages after the resume vs first pre-dump {Count(dumps[0].PagesWritten)}");
        yield return new("the downtime is known from the freeze to the resume", report.PostCopy?.FreezeToResume is not null,
                         report.PostCopy?.FreezeToResume is { } downtime ? $"{Milliseconds(downtime)} ms (TCG-inflated)" : "not reported");
    }

    private static List<DumpStatistics>? PreDumpStatistics(MigrationReport report) =>
        report.Iterations.All(i => i.Dump is not null) ? report.Iterations.Select(i => i.Dump!).ToList() : null;

    private static LaneCheck PreDumpCount(MigrationReport report, int? expected)
    {
        var count = report.Iterations.Count;
        return expected is { } n
            ? new($"exactly {n} pre-dumps", count == n, $"{count} pre-dumps")
            : new("more than one pre-dump", count > 1, $"{count} pre-dumps");
    }

    private static LaneCheck FirstCopiedAll(DumpStatistics first, WorkloadShape workload) =>
        new("the first pre-dump wrote all the workload's memory", first.PagesWritten >= (ulong)workload.MemoryPages,
            $"{Count(first.PagesWritten)} pages written, workload holds {Count(workload.MemoryPages)}");

    private static LaneCheck WrittenFell(List<DumpStatistics> dumps) =>
        new("pages written fell after the first pre-dump", dumps.Skip(1).All(d => d.PagesWritten < dumps[0].PagesWritten),
            $"pages written {string.Join(" -> ", dumps.Select(d => Count(d.PagesWritten)))}");

    private static LaneCheck SkippedLarge(List<DumpStatistics> dumps)
    {
        var floor = (ulong)(dumps[0].PagesWritten * MinSkippedOfFirst);
        return new($"each later pre-dump skipped >= {MinSkippedOfFirst:P0} of the first's pages as in the parent",
                   dumps.Skip(1).All(d => d.PagesSkippedParent >= floor),
                   $"skipped in parent {string.Join(" -> ", dumps.Skip(1).Select(d => Count(d.PagesSkippedParent)))} (floor {Count(floor)})");
    }

    private static LaneCheck FinalSmall(DumpStatistics first, DumpStatistics final) =>
        new($"the final dump wrote <= {MaxFinalOfFirst:P0} of the first pre-dump's pages",
            final.PagesWritten <= first.PagesWritten * MaxFinalOfFirst,
            $"final {Count(final.PagesWritten)} vs first {Count(first.PagesWritten)} ({Share(final.PagesWritten, first.PagesWritten)})");

    private static IEnumerable<LaneCheck> WorkloadChecks(ScenarioResult result)
    {
        var restored = result.Report!.RestoredPid;
        yield return new("the restored root runs", result.RestoredRunning, $"pid {result.SourcePid} -> {restored}");
        yield return new("the source's root is gone", result.SourceGone, $"pid {result.SourcePid}");
        var after = result.AfterMigration!;
        var resumed = result.Resumed!;
        yield return new("the counter went on from the source's (state kept in memory)", resumed.Counter > after.Counter,
                         $"source's last {Count(after.Counter)}, restored's first {Count(resumed.Counter)}");
        var verified = result.AfterVerification!;
        yield return new("all memory verified again after the restore, no bad word",
                         verified.BadWords == 0 && verified.VerifiedWords - resumed.VerifiedWords >= verified.MemoryWords,
                         $"{Count(verified.VerifiedWords - resumed.VerifiedWords)} words verified of {Count(verified.MemoryWords)}, {Count(verified.BadWords)} bad");
    }
}
