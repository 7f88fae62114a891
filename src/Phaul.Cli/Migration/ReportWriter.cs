using Phaul.Transport;

namespace Phaul.Cli.Migration;

/// <summary>
/// Writes a migration's report as aligned lines a person reads: strategy (and why not a better one),
/// iterations, final dump, for post-copy the downtime's phases and how the memory followed, restore, timings.
/// </summary>
internal static class ReportWriter
{
    public static void Write(TextWriter output, MigrationOutcome outcome)
    {
        var restoredPid = outcome.RestoredPid;
        output.WriteLine(restoredPid is { } pid
            ? $"Migrated pid {outcome.Pid} to {outcome.Destination}; it runs there as pid {pid}."
            : $"Migrated pid {outcome.Pid} to {outcome.Destination}.");
        if (outcome.Report is { } report)
            WriteReport(output, report, outcome.Restored);
        else
            WriteRestored(output, outcome);
    }

    private static void WriteReport(TextWriter output, MigrationReport report, RestoredTree? restored)
    {
        Line(output, "strategy", Strategy(report));
        if (report.StrategyNote is { } note)
            Line(output, "note", note);
        if (report.Forecast is { } forecast)
            Forecast(output, forecast);
        foreach (var iteration in report.Iterations)
            Line(output, $"iteration {iteration.Index}", $"pre-dump {Dump(iteration.Dump)}, took {Units.Duration(iteration.Duration)}");
        foreach (var hook in report.Hooks)
            Line(output, HookLabel(hook), HookText(hook));
        Line(output, "final dump", report.PostCopy is null || report.FinalDump is not null
            ? Dump(report.FinalDump)
            : "lazy: everything but the memory, which stayed on the source until asked for");
        if (report.PostCopy is { } postCopy)
            PostCopy(output, postCopy);
        if (report.Freeze is { } freeze)
            Freeze(output, freeze);
        if (restored is not null)
            ImageFiles(output, restored);
        Restore(output, report.Restore ?? restored?.Stats);
        Line(output, "final stage", $"{Units.Duration(report.FinalStageDuration)} " + (report.PostCopy is null
            ? "(dump, transfer, restore: the longest the tree was stopped, seen from here)"
            : "(until the last page arrived; the tree ran on the destination after its downtime)"));
        Line(output, "restored pid", (report.RestoredPid ?? restored?.Pid) is { } pid ? $"{pid} on the destination" : "not reported");
        Line(output, "total", Units.Duration(report.Duration));
    }

    private static void Forecast(TextWriter output, MigrationForecast forecast)
    {
        var link = forecast switch
        {
            { LinkRoundTrip: null } => "no link (the destination is in this process)",
            { LinkBytesPerSecond: { } bandwidth } => $"link {Units.Bytes(bandwidth)}/s, round trip {Units.RoundTrip(forecast.LinkRoundTrip.Value)}",
            _ => $"link round trip {Units.RoundTrip(forecast.LinkRoundTrip.Value)} (bandwidth not measured: no choice depended on it)",
        };
        var dirty = forecast.DirtyBytesPerSecond is { } rate ? $"dirtied {Units.Bytes(rate)}/s" : "dirty rate not measured";
        Line(output, "measured", $"{Units.Bytes(forecast.MemoryBytes)} of memory, {link}, {dirty}");
        Line(output, "predicted", string.Join("; ", forecast.Strategies.Select(strategy =>
            $"{ReportText.Strategy(strategy.Strategy)} {Units.Duration(strategy.Downtime)} downtime, {Units.Duration(strategy.TotalTime)} in all")));
        Line(output, "choice", forecast.Choice);
    }

    private static void Freeze(TextWriter output, FreezeReport freeze)
    {
        var afterImages = $"image transfer {Units.Duration(freeze.ImageTransfer)}, restore {Units.Duration(freeze.Restore)}, " +
                          $"hand-over {Units.Duration(freeze.HandOver)}";
        Line(output, "downtime", freeze is { FreezeToResume: { } downtime, FreezeToImagesWritten: { } imagesWritten }
            ? $"{Units.Duration(downtime)} from the freeze to the destination's word that the tree runs: images written " +
              $"{Units.Duration(imagesWritten)}, {afterImages}"
            : $"not known from the freeze (CRIU's log does not say); after the images were written: {afterImages}");
    }

    private static void PostCopy(TextWriter output, PostCopyReport postCopy)
    {
        var afterImages = $"to the lazy-pages daemon ready {Units.Duration(postCopy.ImagesToDaemonReady)}, restore {Units.Duration(postCopy.Restore)}";
        Line(output, "downtime", postCopy is { FreezeToResume: { } downtime, FreezeToImagesWritten: { } imagesWritten }
            ? $"{Units.Duration(downtime)} from the freeze to the resume on the destination: images written " +
              $"{Units.Duration(imagesWritten)}, {afterImages}"
            : $"not known from the freeze (no CRIU dump statistics); after the images were written: {afterImages}");
        Line(output, "last page", postCopy.LastPageAfterResume is { } lastPage
            ? $"{Units.Duration(lastPage)} after the resume"
            : "not reported");
        Line(output, "pages", postCopy is { PagesTransferred: { } transferred, PagesOnDemand: { } onDemand, PagesInBackground: { } background }
            ? $"{Units.Pages(transferred)} followed the tree: {Units.Count((long)onDemand)} on demand (touched before they arrived), " +
              $"{Units.Count((long)background)} in the background"
            : "counts not reported (CRIU logs them only at log level 4)");
    }

    // The destination's answer is all there is when the migration ended badly after the restore.
    private static void WriteRestored(TextWriter output, MigrationOutcome outcome)
    {
        Line(output, "no report", outcome.Incomplete ?? "the migration core gave none");
        if (outcome.Restored is { } restored)
        {
            ImageFiles(output, restored);
            Restore(output, restored.Stats);
        }
        Line(output, "restored pid", outcome.RestoredPid is { } pid ? $"{pid} on the destination" : "not reported");
    }

    private static void ImageFiles(TextWriter output, RestoredTree restored) =>
        Line(output, "image files", $"{restored.ImageFiles} files ({Units.Bytes(restored.ImageBytes)}) sent with the tree frozen; " +
                                    $"transfer and restore took {Units.Duration(restored.TransferAndRestoreTime)}");

    private static void Restore(TextWriter output, RestoreStatistics? restore) =>
        Line(output, "restore", restore is not null
            ? $"{Units.Pages(restore.PagesRestored)} restored in {Units.Duration(restore.RestoreTime)} (forking {Units.Duration(restore.ForkingTime)})"
            : "no statistics from the destination");

    private static string Strategy(MigrationReport report)
    {
        var asked = report.RequestedStrategy == MigrationStrategy.Auto ? " (auto)" : "";
        var preDumps = $"{report.Iterations.Count} pre-dump(s); stopped because {ReportText.StopReason(report.StopReason)}";
        return report.Strategy switch
        {
            MigrationStrategy.PreCopy => $"pre-copy{asked}, {preDumps}",
            MigrationStrategy.Hybrid => $"hybrid{asked}: pre-copy, {preDumps}; then post-copy for the rest",
            _ => $"{ReportText.Strategy(report.Strategy)}{asked}: {ReportText.StopReason(report.StopReason)}",
        };
    }

    private static string Dump(DumpStatistics? dump) => dump is null
        ? "(no statistics from CRIU)"
        : $"{Units.Pages(dump.PagesWritten)} written, {Units.Count((long)dump.PagesSkippedParent)} unchanged since the previous iteration, " +
          $"tree frozen {Units.Duration(dump.FrozenTime)}";

    internal static string HookLabel(MigrationHookReport hook) => hook.Phase switch
    {
        MigrationHookPhase.BeforeIterations => $"{hook.Hook}, bulk",
        MigrationHookPhase.AfterPreDump => $"{hook.Hook}, it. {hook.Iteration}",
        _ => $"{hook.Hook}, freeze",
    };

    internal static string HookText(MigrationHookReport hook)
    {
        var when = hook.Phase == MigrationHookPhase.WhileFrozen ? "with the tree frozen" : "while the tree ran";
        return string.Join(", ", [.. hook.Figures.Select(Figure), $"{Units.Duration(hook.Duration)} {when}"]);
    }

    // Phaul.FileSystem's figures read as a sentence; any other hook's as name and value.
    private static string Figure(KeyValuePair<string, long> figure) => figure.Key switch
    {
        "filesTransferred" => $"{Units.Count(figure.Value)} files sent",
        "filesDeleted" => $"{Units.Count(figure.Value)} deleted",
        "bytesSent" => $"{Units.Bytes(figure.Value)} sent",
        "bytesReceived" => $"{Units.Bytes(figure.Value)} received",
        _ => $"{figure.Key} {Units.Count(figure.Value)}",
    };

    private static void Line(TextWriter output, string label, string text) => output.WriteLine($"  {label,-13} {text}");
}
