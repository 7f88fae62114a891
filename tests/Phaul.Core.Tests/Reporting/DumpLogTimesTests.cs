namespace Phaul.Core.Tests.Reporting;

/// <summary>The freeze's start and the post-dump notification read from a dump's CRIU log, which only informs the report.</summary>
public sealed class DumpLogTimesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("phaul-dumplog-").FullName;

    [Fact]
    public async Task The_freeze_runs_from_the_seized_task_to_the_post_dump_scripts()
    {
        var log = Path.Combine(_directory, "dump.log");
        await File.WriteAllTextAsync(log, "(00.004000) Running pre-dump scripts\n(00.010000) Seized task 77, state 1\n" +
                                          "(00.052500) Running post-dump scripts\n", TestContext.Current.CancellationToken);

        Assert.Equal(TimeSpan.FromMilliseconds(42.5), await DumpLogTimes.FreezeToPostDumpAsync(log));
    }

    // Failure handled: the log is read after the tree moved; a read error thrown from here failed a migration that had
    // succeeded (the stop-and-copy report's freeze phases, post-copy's report). /proc/self/mem exists and fails every
    // read at offset 0 (EIO), a real I/O error.
    [Theory]
    [InlineData("/proc/self/mem")]
    [InlineData("/nonexistent/dump.log")]
    public async Task A_log_that_cannot_be_read_says_nothing_instead_of_failing(string log)
    {
        Assert.Null(await DumpLogTimes.FreezeToPostDumpAsync(log));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
