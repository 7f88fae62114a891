namespace Phaul.Core.Tests.PostCopy;

public sealed class HostAndLogParsingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("phaul-postcopy-logs-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("1048576", "CapEff:\t000001fffeffffff", false)]   // the default limit, no CAP_SYS_RESOURCE (bit 24)
    [InlineData("4194303", "CapEff:\t000001fffeffffff", false)]
    [InlineData("4194304", "CapEff:\t000001fffeffffff", true)]
    [InlineData("8388608", "CapEff:\t000001fffeffffff", true)]
    [InlineData("1048576", "CapEff:\t000001ffffffffff", true)]    // CAP_SYS_RESOURCE: CRIU may exceed the limit
    [InlineData("1048576", "Name:\tphaul", false)]                 // no capability line: assume none
    public void PipeSize_IsEnoughWithFourMebibytesOrCapSysResource(string pipeMaxSize, string statusLine, bool enough)
    {
        var problem = PipeSizeRequirement.Evaluate(pipeMaxSize + "\n", "Name:\tx\n" + statusLine + "\n");

        Assert.Equal(enough, problem is null);
        if (!enough)
            Assert.Contains("fs.pipe-max-size=8388608", problem);
    }

    [Fact]
    public async Task LazyPagesLog_CountsPageFaultsAndSumsEveryProcessTransfer()
    {
        var path = Write("lazy-pages.log",
            "(00.134431) uffd: 1-12: Found 16396 pages to be handled by UFFD",
            "(00.136834) uffd: 1-12: #PF at 0x7f013d151000",
            "(00.136844) pr1-1 Read 7f013d151000 1 pages",
            "(00.137000) uffd: 2-13: #PF at 0x7f013d152000",
            "(00.201840) uffd: 1-12: UFFD transferred pages: (16396/16396)",
            "(00.201900) uffd: 2-13: UFFD transferred pages: (10/12)");

        var statistics = await LazyPagesStatisticsReader.ReadAsync(path, Token);

        Assert.Equal(16408UL, statistics.PagesToFetch);
        Assert.Equal(16406UL, statistics.PagesTransferred);
        Assert.Equal(2UL, statistics.PagesOnDemand);
        Assert.Equal(16404UL, statistics.PagesInBackground);
    }

    [Fact]
    public async Task LazyPagesLog_WithoutDebugLines_SaysNothingRatherThanZero()
    {
        var quiet = await LazyPagesStatisticsReader.ReadAsync(Write("quiet.log", "(00.000185) Version: 4.2.1 (gitid 0)"), Token);
        var missing = await LazyPagesStatisticsReader.ReadAsync(Path.Combine(_dir, "missing.log"), Token);

        Assert.Null(quiet.PagesTransferred);
        Assert.Null(quiet.PagesOnDemand);
        Assert.Null(quiet.PagesInBackground);
        Assert.Null(missing.PagesToFetch);
    }

    [Theory]
    [InlineData("(00.132487) Detected cgroup V1 freezer", 64.823)]
    [InlineData("(00.132585) Seized task 4499, state 1", 64.725)]
    public async Task DumpLog_TimesTheFreezeToThePostDumpNotification(string freezeLine, double expectedMs)
    {
        var path = Write("dump.log",
            "(00.125791) Dumping processes (pid: 4499 comm: workload)",
            freezeLine,
            "(00.132585) Seized task 4499, state 1",
            "(00.197310) Running post-dump scripts",
            "(00.331790) Starting lazy pages server");

        var time = await DumpLogTimes.FreezeToPostDumpAsync(path);

        Assert.Equal(expectedMs, time!.Value.TotalMilliseconds, precision: 3);
    }

    [Fact]
    public async Task DumpLog_WithoutThePostDumpLine_OrTheFile_SaysNothing()
    {
        Assert.Null(await DumpLogTimes.FreezeToPostDumpAsync(Write("short.log", "(00.132585) Seized task 4499, state 1")));
        Assert.Null(await DumpLogTimes.FreezeToPostDumpAsync(Path.Combine(_dir, "none.log")));
    }

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
