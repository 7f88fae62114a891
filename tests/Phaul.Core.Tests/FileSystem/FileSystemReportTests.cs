namespace Phaul.Core.Tests.FileSystem;

/// <summary>The file-system figures in the report, rsync's statistics, and the relay's header.</summary>
public class FileSystemReportTests
{
    [Fact]
    public void The_phases_survive_a_json_round_trip_with_their_names()
    {
        var report = new MigrationReport
        {
            FileSystem =
            [
                new FileSystemPhaseReport
                {
                    Phase = FileSystemPhase.Bulk,
                    Transfer = new FileSystemTransfer { FilesTransferred = 10_000, BytesSent = 42_000_000, BytesReceived = 200_000 },
                    Duration = TimeSpan.FromSeconds(3.5),
                },
                new FileSystemPhaseReport { Phase = FileSystemPhase.Iteration, Iteration = 0, Transfer = new FileSystemTransfer { FilesDeleted = 3 } },
                new FileSystemPhaseReport { Phase = FileSystemPhase.Freeze, Duration = TimeSpan.FromMilliseconds(80) },
            ],
        };

        var json = report.ToJson();

        Assert.Contains("\"phase\": \"Bulk\"", json);
        Assert.Contains("\"phase\": \"Freeze\"", json);
        Assert.Contains("\"bytesSent\": 42000000", json);
        Assert.Equal(report.FileSystem, MigrationReport.FromJson(json).FileSystem);
    }

    [Fact]
    public void A_report_without_files_has_an_empty_list()
    {
        Assert.Empty(MigrationReport.FromJson(new MigrationReport().ToJson()).FileSystem);
    }

    [Fact]
    public void Rsyncs_stats_give_files_deletions_and_bytes_with_thousands_separators()
    {
        string[] output =
        [
            "Number of files: 10,002 (reg: 10,000, dir: 2)",
            "Number of created files: 10,001 (reg: 10,000, dir: 1)",
            "Number of deleted files: 7 (reg: 7)",
            "Number of regular files transferred: 10,000",
            "Total file size: 40,960,000 bytes",
            "Total bytes sent: 41,827,311",
            "Total bytes received: 190,207",
            "sent 41,827,311 bytes  received 190,207 bytes  8,403,503.60 bytes/sec",
        ];

        Assert.Equal(new FileSystemTransfer { FilesTransferred = 10_000, FilesDeleted = 7, BytesSent = 41_827_311, BytesReceived = 190_207 },
                     RsyncStatistics.Parse(output));
    }

    [Fact]
    public async Task The_relay_header_gives_the_arguments_after_the_host_and_reads_no_further()
    {
        using var stream = new MemoryStream("4\nphaul\0rsync\0--server\0/a b/\0RSYNC-DATA"u8.ToArray());

        var arguments = await RsyncRelay.ReadArgumentsAsync(stream, TestContext.Current.CancellationToken);

        Assert.Equal(["rsync", "--server", "/a b/"], arguments);
        Assert.Equal("RSYNC-DATA"u8.ToArray(), stream.ToArray()[(int)stream.Position..]);
    }

    // Handles: the source's rsync ending before its remote side started (e.g. a bad option): a clear error, not a hang.
    [Fact]
    public async Task A_relay_that_ends_early_is_reported()
    {
        using var stream = new MemoryStream("2\nphaul\0"u8.ToArray());
        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => RsyncRelay.ReadArgumentsAsync(stream, TestContext.Current.CancellationToken));
        Assert.Contains("ended before it started its remote side", failure.Message);
    }
}
