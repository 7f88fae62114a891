using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Phaul.Core.Tests.Migration;

/// <summary>
/// A migration as OpenTelemetry sees it: a <c>phaul.migrate</c> span with a child span per step, and its duration,
/// pages and outcome as metrics. Each test runs inside a span of its own and keeps only what belongs to its trace,
/// since the source and meter are process-wide and other tests migrate at the same time.
/// </summary>
public sealed class MigrationTelemetryTests : IDisposable
{
    private const string TestSourceName = "Phaul.Core.Tests.Telemetry";
    private static readonly ActivitySource TestSource = new(TestSourceName);

    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();
    private readonly Activity _test;
    private readonly List<Activity> _spans = [];
    private readonly List<(string Name, double Value, Dictionary<string, object?> Tags)> _measurements = [];

    public MigrationTelemetryTests()
    {
        _activities = new ActivityListener
        {
            // By name: the static source may be created only while this listener is being added.
            ShouldListenTo = source => source.Name is PhaulDiagnostics.Name or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Keep,
        };
        ActivitySource.AddActivityListener(_activities);
        _test = TestSource.StartActivity("test") ?? throw new InvalidOperationException("the test's own span was not sampled");
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PhaulDiagnostics.Name)
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_migration_is_one_span_with_a_child_per_step_and_its_duration_and_pages_are_measured()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(10));

        var report = await harness.Client().MigrateAsync(Token);

        var migrate = Assert.Single(Spans(), span => span.OperationName == "phaul.migrate");
        Assert.Equal(ActivityStatusCode.Ok, migrate.Status);
        Assert.Equal("pre_copy", migrate.GetTagItem("phaul.strategy"));
        var steps = Spans().Where(span => span.ParentSpanId == migrate.SpanId).Select(span => span.OperationName).ToList();
        Assert.Equal(["phaul.check_tree", "phaul.prepare_criu", "phaul.check_features", "phaul.start_iteration", "phaul.pre_dump",
                      "phaul.stop_iteration"],
                     steps.Take(6));
        Assert.Contains("phaul.dump_copy_restore", steps);
        var duration = Assert.Single(_measurements, m => m.Name == "phaul.migration.duration");
        Assert.Equal(report.Duration.TotalSeconds, duration.Value, precision: 6);
        Assert.Equal("migrated", duration.Tags["phaul.outcome"]);
        var preDumpPages = _measurements.Where(m => m.Name == "phaul.migration.pages" && (string?)m.Tags["phaul.stage"] == "pre_dump").Sum(m => m.Value);
        Assert.Equal(report.Iterations.Sum(i => (double)(i.Dump?.PagesWritten ?? 0)), preDumpPages);
        Assert.Single(_measurements, m => m.Name == "phaul.migration.downtime");
    }

    [Fact]
    public async Task A_failed_migration_ends_its_span_in_error_and_counts_the_failure_by_step()
    {
        using var harness = new LoopHarness { MemTrack = false, FailFinal = true };

        await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        var migrate = Assert.Single(Spans(), span => span.OperationName == "phaul.migrate");
        Assert.Equal(ActivityStatusCode.Error, migrate.Status);
        Assert.Equal("not_migrated", migrate.GetTagItem("phaul.outcome"));
        var failure = Assert.Single(_measurements, m => m.Name == "phaul.migration.failures");
        Assert.Equal(1, failure.Value);
        Assert.Equal("dump_copy_restore", failure.Tags["phaul.step"]);
        Assert.Equal("not_migrated", failure.Tags["phaul.outcome"]);
        Assert.DoesNotContain(_measurements, m => m.Name == "phaul.migration.pages");
    }

    private List<Activity> Spans()
    {
        lock (_spans)
            return [.. _spans];
    }

    private void Keep(Activity activity)
    {
        if (activity.TraceId != _test.TraceId)
            return;
        lock (_spans)
            _spans.Add(activity);
    }

    // Measurements carry no trace: this test's are those recorded while one of its spans is current.
    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Activity.Current?.TraceId != _test.TraceId)
            return;
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
            copy[tag.Key] = tag.Value;
        lock (_measurements)
            _measurements.Add((instrument.Name, value, copy));
    }

    public void Dispose()
    {
        _test.Dispose();
        _meters.Dispose();
        _activities.Dispose();
    }
}
