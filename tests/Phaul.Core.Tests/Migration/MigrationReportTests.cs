using System.Text.Json;

namespace Phaul.Core.Tests.Migration;

public class MigrationReportTests
{
    private static MigrationReport Sample() => new()
    {
        Pid = 1234,
        Strategy = MigrationStrategy.PreCopy,
        StopReason = PreCopyStopReason.DirtyGrowth,
        Iterations =
        [
            new IterationReport { Index = 0, ImagesDirectory = "/w/0", StartedAt = DateTimeOffset.UnixEpoch, Duration = TimeSpan.FromMilliseconds(120), Dump = Stats.Of(5000) },
            new IterationReport { Index = 1, ImagesDirectory = "/w/1", Duration = TimeSpan.FromMilliseconds(80), Dump = null },
        ],
        FinalDump = Stats.Of(900, 4100),
        Restore = new RestoreStatistics { PagesRestored = 5000, ForkingTime = TimeSpan.FromMilliseconds(3), RestoreTime = TimeSpan.FromMilliseconds(51) },
        RestoredPid = 5678,
        FinalStageDuration = TimeSpan.FromMilliseconds(250),
        Hooks =
        [
            new MigrationHookReport
            {
                Hook = "files", Phase = MigrationHookPhase.BeforeIterations, Duration = TimeSpan.FromMilliseconds(40),
                Figures = new Dictionary<string, long> { ["filesTransferred"] = 3, ["bytesSent"] = 4096 },
            },
            new MigrationHookReport { Hook = "files", Phase = MigrationHookPhase.AfterPreDump, Iteration = 1 },
            new MigrationHookReport
            {
                Hook = "files", Phase = MigrationHookPhase.WhileFrozen, Duration = TimeSpan.FromMilliseconds(9),
                Figures = new Dictionary<string, long> { ["filesDeleted"] = 1 },
            },
        ],
        StartedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        CompletedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 6, TimeSpan.Zero),
        Duration = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public void ToJson_RoundTrips_EveryField()
    {
        var report = Sample();

        var back = MigrationReport.FromJson(report.ToJson());

        Assert.Equal(report with { Iterations = [], Hooks = [] }, back with { Iterations = [], Hooks = [] });
        Assert.Equal(report.Iterations, back.Iterations);
        Assert.Equal(report.Hooks, back.Hooks);
    }

    [Fact]
    public void Hook_figures_are_a_json_object_of_integers_and_durations_milliseconds()
    {
        using var json = JsonDocument.Parse(Sample().ToJson());

        var bulk = json.RootElement.GetProperty("hooks")[0];
        Assert.Equal("files", bulk.GetProperty("hook").GetString());
        Assert.Equal("BeforeIterations", bulk.GetProperty("phase").GetString());
        Assert.Equal(40, bulk.GetProperty("duration").GetDouble());
        Assert.Equal(4096, bulk.GetProperty("figures").GetProperty("bytesSent").GetInt64());
        Assert.Equal(JsonValueKind.Object, json.RootElement.GetProperty("hooks")[1].GetProperty("figures").ValueKind);
    }

    [Fact]
    public void A_report_without_hooks_has_an_empty_list()
    {
        Assert.Empty(MigrationReport.FromJson(new MigrationReport().ToJson()).Hooks);
    }

    [Fact]
    public void Json_NamesEnumsByName_ForReaders()
    {
        var json = Sample().ToJson();

        Assert.Contains("\"PreCopy\"", json);
        Assert.Contains("\"DirtyGrowth\"", json);
        Assert.DoesNotContain("SkippedParentShare", json);
    }

    [Fact]
    public void PlainJsonSerializer_WorksToo()
    {
        var report = Sample();

        var back = JsonSerializer.Deserialize<MigrationReport>(JsonSerializer.Serialize(report))!;

        Assert.Equal(report.FinalDump, back.FinalDump);
        Assert.Equal(report.Strategy, back.Strategy);
        Assert.Equal(report.Iterations[0], back.Iterations[0]);
    }

    [Fact]
    public void DumpStatistics_ConvertCriusMicroseconds()
    {
        var stats = Stats.Of(100, 300);

        Assert.Equal(TimeSpan.FromMicroseconds(200), stats.FrozenTime);
        Assert.Equal(0.75, stats.SkippedParentShare);
        Assert.Equal(400UL, stats.PagesScanned);
    }
}
