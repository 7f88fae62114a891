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
        FileSystem =
        [
            new FileSystemPhaseReport { Phase = FileSystemPhase.Bulk, Transfer = new FileSystemTransfer { FilesTransferred = 3, BytesSent = 4096 }, Duration = TimeSpan.FromMilliseconds(40) },
            new FileSystemPhaseReport { Phase = FileSystemPhase.Freeze, Transfer = new FileSystemTransfer { FilesDeleted = 1 }, Duration = TimeSpan.FromMilliseconds(9) },
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

        Assert.Equal(report with { Iterations = [], FileSystem = [] }, back with { Iterations = [], FileSystem = [] });
        Assert.Equal(report.Iterations, back.Iterations);
        Assert.Equal(report.FileSystem, back.FileSystem);
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
