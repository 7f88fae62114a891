using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;

namespace Phaul;

/// <summary>
/// Traces and metrics of one migration on the source: a root span, a child span per step, and on its end the
/// duration, downtime, pages and outcome, named after OpenTelemetry's conventions. The source and meter are
/// process-wide and immutable, as .NET's own libraries keep theirs; each migration's state lives in its instance.
/// </summary>
internal sealed class MigrationTelemetry
{
    private static readonly ActivitySource Source = new(PhaulDiagnostics.Name, typeof(MigrationTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly Meter Meter = new(PhaulDiagnostics.Name, typeof(MigrationTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "phaul.migration.duration", "s", "How long migrations took, from the start to the report (post-copy: to the last page).");
    private static readonly Histogram<double> Downtime = Meter.CreateHistogram<double>(
        "phaul.migration.downtime", "s", "How long migrated trees ran nowhere: post-copy from the freeze to the resume, else the final stage.");
    private static readonly Counter<long> Pages = Meter.CreateCounter<long>(
        "phaul.migration.pages", "{page}", "Memory pages migrations sent, by stage (pre_dump, final_dump, post_copy).");
    private static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "phaul.migration.failures", "{migration}", "Migrations that failed, by step and outcome.");

    private readonly Activity? _migration;
    private Activity? _step;

    public MigrationTelemetry(int pid)
    {
        _migration = Source.StartActivity("phaul.migrate");
        _migration?.SetTag("process.pid", pid);
    }

    /// <summary>Ends the previous step's span and starts one for <paramref name="step"/>.</summary>
    public void Enter(MigrationStep step, int? iteration)
    {
        _step?.Stop();
        _step = _migration is null ? null : Source.StartActivity($"phaul.{StepName(step)}", ActivityKind.Internal, _migration.Context);
        if (iteration is { } n)
            _step?.SetTag("phaul.iteration", n);
    }

    public void Completed(MigrationReport report)
    {
        var strategy = StrategyName(report.Strategy);
        _migration?.SetTag("phaul.strategy", strategy);
        _migration?.SetTag("phaul.restored_pid", report.RestoredPid);
        var tags = new TagList { { "phaul.strategy", strategy }, { "phaul.outcome", "migrated" } };
        Duration.Record(report.Duration.TotalSeconds, tags);
        var downtime = report.PostCopy?.FreezeToResume ?? report.FinalStageDuration;
        Downtime.Record(downtime.TotalSeconds, new TagList { { "phaul.strategy", strategy } });
        AddPages("pre_dump", report.Iterations.Sum(i => (long)(i.Dump?.PagesWritten ?? 0)));
        AddPages("final_dump", (long)(report.FinalDump?.PagesWritten ?? 0));
        AddPages("post_copy", (long)(report.PostCopy?.PagesTransferred ?? 0));
        End(ActivityStatusCode.Ok, null);
    }

    public void Failed(MigrationException failure, TimeSpan elapsed)
    {
        var outcome = failure.ProcessLost ? "process_lost" : failure.HandOverInDoubt ? "hand_over_in_doubt"
            : failure.FinalStageCompleted ? "migrated_with_error" : "not_migrated";
        var error = (failure.InnerException ?? failure).GetType().Name;
        _migration?.SetTag("phaul.outcome", outcome);
        _migration?.SetTag("error.type", error);
        Failures.Add(1, new TagList { { "phaul.step", StepName(failure.Step) }, { "phaul.outcome", outcome }, { "error.type", error } });
        Duration.Record(elapsed.TotalSeconds, new TagList { { "phaul.outcome", outcome } });
        End(ActivityStatusCode.Error, failure.InnerException?.Message ?? failure.Message);
    }

    public void Cancelled(TimeSpan elapsed)
    {
        _migration?.SetTag("phaul.outcome", "cancelled");
        Duration.Record(elapsed.TotalSeconds, new TagList { { "phaul.outcome", "cancelled" } });
        End(ActivityStatusCode.Error, "cancelled");
    }

    private static void AddPages(string stage, long pages)
    {
        if (pages > 0)
            Pages.Add(pages, new TagList { { "phaul.stage", stage } });
    }

    private void End(ActivityStatusCode status, string? description)
    {
        _step?.Stop();
        _migration?.SetStatus(status, description);
        _migration?.Stop();
    }

    // OpenTelemetry's names are lowercase with underscores: DumpCopyRestore -> dump_copy_restore.
    private static string StrategyName(MigrationStrategy strategy) => JsonNamingPolicy.SnakeCaseLower.ConvertName(strategy.ToString());

    private static string StepName(MigrationStep step) => JsonNamingPolicy.SnakeCaseLower.ConvertName(step.ToString());
}
