using System.Diagnostics;
using System.Net;

namespace Phaul.Cli.Migration;

/// <summary>
/// Draws a migration's progress as short lines (phase, iteration, pages, bytes) with the time since the start, from
/// the steps Phaul reports (<see cref="MigrationProgress"/>) and the connection the CLI makes itself.
/// </summary>
internal sealed class ProgressLines(TextWriter output) : IProgress<MigrationProgress>
{
    private readonly Lock _writing = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    public void Connecting(EndPoint destination) => Write($"connecting to {destination}");

    public void Connected(string endPoint, string sessionId, bool encrypted) =>
        Write($"connected to {endPoint}, session {sessionId}, {(encrypted ? "encrypted" : "NOT encrypted (--insecure-plaintext)")}");

    public void Report(MigrationProgress value) => Write(Describe(value));

    /// <summary>The progress line for one step.</summary>
    internal static string Describe(MigrationProgress step) => step.Kind switch
    {
        MigrationProgressKind.StrategyChosen => $"strategy: {step.Detail ?? (step.Strategy is { } chosen ? ReportText.Strategy(chosen) : "?")}",
        MigrationProgressKind.PreDumpStarting => $"iteration {step.Iteration}: pre-dump, the tree keeps running",
        MigrationProgressKind.PreDumpCompleted => step.Dump is { } dump
            ? $"iteration {step.Iteration}: pre-dump sent {Units.Pages(dump.PagesWritten)}, {dump.PagesSkippedParent} pages unchanged, " +
              $"tree frozen {Units.Duration(dump.FrozenTime)}"
            : $"iteration {step.Iteration}: pre-dump done (CRIU left no statistics)",
        MigrationProgressKind.PreCopyStopped =>
            $"iteration {step.Iteration}: pre-copy stops: {(step.StopReason is { } reason ? ReportText.StopReason(reason) : "?")}",
        MigrationProgressKind.HookCompleted when step.Hook is { } hook => $"{ReportWriter.HookLabel(hook)}: {ReportWriter.HookText(hook)}",
        MigrationProgressKind.FinalStageStarting => step.Strategy is MigrationStrategy.PostCopy or MigrationStrategy.Hybrid
            ? $"iteration {step.Iteration}: final dump, the tree stays frozen until it resumes on the destination; " +
              "lazy: its memory stays here until asked for"
            : $"iteration {step.Iteration}: final dump, the tree stays frozen until it runs on the destination",
        MigrationProgressKind.ImagesSent => $"sent {step.Files} image files ({(step.Bytes is { } bytes ? Units.Bytes(bytes) : "?")}); the destination restores",
        MigrationProgressKind.Restored => $"the tree runs on the destination as pid {step.Pid}",
        MigrationProgressKind.AllPagesArrived => $"every page arrived: {PageCount(step.Pages)}, {PageCount(step.PagesOnDemand)} of them on demand",
        MigrationProgressKind.SourceResumed => $"the final stage failed: the tree runs on the source again ({step.Detail})",
        MigrationProgressKind.SourceKilled => $"the source's copy was killed: {step.Detail}",
        MigrationProgressKind.ProcessLost => $"PROCESS LOST: restored pid {(step.Pid is { } pid ? $"{pid}" : "?")} on the destination is gone: {step.Detail}",
        _ => step.Kind.ToString(),
    };

    // CRIU logs the page counts only at its debug level.
    private static string PageCount(ulong? pages) => pages is { } count ? Units.Count((long)count) + " pages" : "? pages";

    private void Write(string line)
    {
        var elapsed = Stopwatch.GetElapsedTime(_started);
        lock (_writing)
            output.WriteLine($"[{Units.Duration(elapsed),8}] {line}");
    }
}
