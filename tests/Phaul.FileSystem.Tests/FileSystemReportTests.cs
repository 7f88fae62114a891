namespace Phaul.FileSystem.Tests;

/// <summary>rsync's statistics as a hook's figures, and the relay's header.</summary>
public class FileSystemReportTests
{
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

        Assert.Equal(new Dictionary<string, long> { ["filesTransferred"] = 10_000, ["filesDeleted"] = 7, ["bytesSent"] = 41_827_311, ["bytesReceived"] = 190_207 },
                     RsyncStatistics.Parse(output).ToFigures());
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
