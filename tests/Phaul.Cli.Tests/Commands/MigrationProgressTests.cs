using System.Reflection;
using Microsoft.Extensions.Logging;
using Phaul.Cli.Migration;
using Phaul.FileSystem;

namespace Phaul.Cli.Tests.Commands;

public class MigrationProgressTests
{
    // The events the progress lines read, with the fields they use.
    public static TheoryData<int, string[]> ProgressEvents => new()
    {
        { 3100, ["EndPoint"] },
        { 3101, ["EndPoint", "SessionId"] },
        { 2000, ["Strategy"] },
        { 2001, ["Strategy", "Note"] },
        { 2010, ["Iteration"] },
        { 2011, ["Iteration", "PagesWritten", "PagesSkippedParent", "FrozenTime"] },
        { 2012, ["Iteration", "StopReason"] },
        { 2020, ["Iteration"] },
        { 3104, ["Files", "Bytes"] },
        { 3105, ["Pid"] },
        { 3106, [] },
        { 4110, [] },
        { 4100, ["StartTime"] },
        { 4101, ["RestoredPid"] },
        { 4102, ["PagesTransferred", "PagesOnDemand"] },
        { 4104, ["RestoredPid", "Reason"] },
        { 4111, ["Cause"] },
        { 4112, ["Why"] },
        { 4114, [] },
        { 5010, ["Phase", "Source", "Files", "Deleted", "BytesSent"] },
        { 5011, ["Source"] },
        { 2041, ["Hook"] },
    };

    [Theory]
    [MemberData(nameof(ProgressEvents))]
    public void Each_event_the_progress_reads_is_logged_by_Phaul_with_those_fields(int eventId, string[] fields)
    {
        // Guards the coupling by event id: a renumbered or reworded event in Phaul.Core or Phaul.FileSystem fails here.
        var messages = LoggedMessages()[eventId].ToList();

        Assert.True(messages.Count == 1, $"{messages.Count} [LoggerMessage]s with event id {eventId} in Phaul.Core and Phaul.FileSystem, not one");
        var message = messages[0];
        foreach (var field in fields)
            Assert.Contains($"{{{field}}}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pre_dump_line_shows_the_iteration_pages_bytes_and_frozen_time()
    {
        var line = MigrationProgress.Describe(2011, Fields(("Iteration", 1), ("PagesWritten", (ulong?)2560), ("PagesSkippedParent", (ulong?)14000),
                                                           ("FrozenTime", (TimeSpan?)TimeSpan.FromMilliseconds(9))));

        Assert.Equal($"iteration 1: pre-dump sent 2,560 pages ({Units.Bytes(2560.0 * Environment.SystemPageSize)}), 14000 pages unchanged, tree frozen 9 ms", line);
    }

    [Fact]
    public void Phases_and_transfers_get_a_line()
    {
        Assert.Equal("iteration 2: final dump, the tree stays frozen until it runs on the destination",
                     MigrationProgress.Describe(2020, Fields(("Iteration", 2), ("Pid", 77), ("ParentDirectory", "x"))));
        Assert.Equal("sent 12 image files (1.5 MiB); the destination restores",
                     MigrationProgress.Describe(3104, Fields(("Files", 12), ("Bytes", 1536L * 1024), ("ElapsedMs", 5L))));
        Assert.Equal("iteration 3: pre-copy stops: the iteration limit was reached",
                     MigrationProgress.Describe(2012, Fields(("Iteration", 3), ("StopReason", PreCopyStopReason.MaxIterations))));
    }

    [Fact]
    public void Post_copy_steps_get_a_line_and_a_lost_process_says_so()
    {
        Assert.Equal("the destination's lazy-pages daemon listens (started in 45 ms); restore requested",
                     MigrationProgress.Describe(4100, Fields(("Iteration", 1), ("DaemonPid", 99), ("Directory", "d"),
                                                            ("StartTime", TimeSpan.FromMilliseconds(45)))));
        Assert.Equal("the tree resumed on the destination as pid 5678; its memory follows (until the last page arrives, a broken connection loses the process)",
                     MigrationProgress.Describe(4101, Fields(("Iteration", 1), ("RestoredPid", 5678))));
        Assert.Equal("every page arrived: 262,157 pages, 12 pages of them on demand",
                     MigrationProgress.Describe(4102, Fields(("Iteration", 1), ("PagesTransferred", (ulong?)262_157), ("PagesOnDemand", (ulong?)12))));
        // Failure handled: CRIU below log level 4 logs no page counts.
        Assert.Equal("every page arrived: ? pages, ? pages of them on demand",
                     MigrationProgress.Describe(4102, Fields(("Iteration", 1), ("PagesTransferred", null), ("PagesOnDemand", null))));
        // Failure handled: the connection broke after the resume; the destination killed its copy.
        Assert.Equal("PROCESS LOST: the destination killed restored pid 5678: the connection broke",
                     MigrationProgress.Describe(4104, Fields(("Iteration", 1), ("RestoredPid", 5678), ("Killed", 1), ("Reason", "the connection broke"))));
        Assert.Equal("the tree runs on the source again (the restore failed)",
                     MigrationProgress.Describe(4111, Fields(("Pid", 1234), ("Continued", 1), ("Cause", "the restore failed"))));
        Assert.StartsWith("final dump (lazy): the tree stays frozen", MigrationProgress.Describe(4110, Fields(("Pid", 1234))), StringComparison.Ordinal);
    }

    [Fact]
    public void File_system_copies_get_a_line()
    {
        Assert.Equal("files: freeze copy of /srv/app: 3 files sent, 1 deleted, 12.0 KiB sent",
                     MigrationProgress.Describe(5010, Fields(("Phase", MigrationHookPhase.WhileFrozen), ("Source", "/srv/app"), ("Target", "/srv/app"),
                                                             ("Files", 3L), ("Deleted", 1L), ("BytesSent", 12L * 1024), ("BytesReceived", 40L))));
        Assert.Equal("files: failed during the freeze: the dump fails and CRIU resumes the tree on the source",
                     MigrationProgress.Describe(2041, Fields(("Hook", "files"))));
    }

    [Fact]
    public void Other_events_are_not_progress()
    {
        Assert.Null(MigrationProgress.Describe(1000, Fields()));
        Assert.Null(MigrationProgress.Describe(3003, Fields(("SessionId", "ab"))));
    }

    [Fact]
    public void The_logger_writes_one_timed_line_per_progress_event()
    {
        var output = new StringWriter();
        using var progress = new MigrationProgress(output);
        var logger = progress.CreateLogger("Phaul.PhaulClient");

        var restored = Fields(("Pid", 4321), ("ElapsedMs", 10L));
        var sessionStarted = Fields(("SessionId", "ab"));

        logger.Log(LogLevel.Information, new EventId(3105), restored, null, (_, _) => "");
        logger.Log(LogLevel.Information, new EventId(3003), sessionStarted, null, (_, _) => "");

        var line = Assert.Single(output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^\[ *\d+ ms\] the destination restored the tree as pid 4321$", line);
    }

    private static KeyValuePair<string, object?>[] Fields(params (string Key, object? Value)[] fields) =>
        [.. fields.Select(f => new KeyValuePair<string, object?>(f.Key, f.Value))];

    private static ILookup<int, string> LoggedMessages() =>
        new[] { typeof(PhaulClient).Assembly, typeof(SubtreeFileSystem).Assembly }.SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(method => method.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .ToLookup(attribute => attribute.EventId, attribute => attribute.Message);
}
