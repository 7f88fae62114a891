using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

public sealed class PhaulServerTests : IDisposable
{
    private readonly TempDirectory _wdir = new();
    private readonly FakePageServers _pageServers;

    public PhaulServerTests() => _pageServers = new FakePageServers(_wdir.Path);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private PhaulServer Server(TimeSpan? timeout = null, int logLevel = 4) => PhaulServer.Create(
        new PhaulConfig { Memfd = 11, Wdir = _wdir.Path },
        new PhaulServerOptions
        {
            CriuFactory = () => _pageServers.Criu.Object, PageServerExitTimeout = timeout ?? TimeSpan.FromSeconds(10), CriuLogLevel = logLevel,
        },
        null, new MigrationDependencies(CriuStatsSource.Instance, new FakeDirectories(), new FakeMemorySocket()));

    public void Dispose()
    {
        _pageServers.Dispose();
        _wdir.Dispose();
    }

    [Fact]
    public async Task AnIterationWithoutRoomForItsPages_IsRefusedBeforeAnythingStarts_NamingTheFigures()
    {
        // Failure handled: a destination disk too small for the tree; found before the source freezes it.
        using var server = Server();
        var free = DumpSpace.AvailableBytes(_wdir.Path);

        var error = await Assert.ThrowsAsync<InsufficientSpaceException>(() => server.StartIterAsync(free * 2, Token));

        Assert.Equal(_wdir.Path, error.Directory);
        Assert.True(error.NeededBytes > free * 2 && error.AvailableBytes <= free + (64L << 20), $"{error.AvailableBytes} free, {error.NeededBytes} needed");
        Assert.Contains(" MiB free, and this iteration writes about ", error.Message, StringComparison.Ordinal);
        Assert.Empty(_pageServers.Options);
        Assert.Equal("", server.LastImagesDir);
        await server.StartIterAsync(1 << 20, Token); // room enough: it starts
        Assert.Single(_pageServers.Options);
    }

    [Fact]
    public async Task Iterations_StartPageServersOnMemfd_IntoNumberedDirectories_ChainedToTheirParent()
    {
        using var server = Server();

        await server.StartIterAsync(Token);
        Assert.Equal(Path.Combine(_wdir.Path, "0"), server.LastImagesDir);
        await server.StopIterAsync(Token);
        await server.StartIterAsync(Token);
        await server.StopIterAsync(Token);

        Assert.Equal(Path.Combine(_wdir.Path, "1"), server.LastImagesDir);
        Assert.All(_pageServers.Options, opts =>
        {
            Assert.Equal(11, opts.Ps.Fd);
            Assert.Equal(FakeDirectories.Fd, opts.ImagesDirFd);
        });
        Assert.Equal(["page-server-0.log", "page-server-1.log"], _pageServers.Options.Select(o => o.LogFile));
        Assert.False(_pageServers.Options[0].HasParentImg);
        Assert.Equal("../0", _pageServers.Options[1].ParentImg);
        Assert.Same(_pageServers.Criu.Object, server.Criu);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    public async Task PageServers_LogAtLeastTheInfoLines_TheirVerdictIsReadFrom(int asked, int used)
    {
        // Handles: a quieter CriuLogLevel (2) left out "Session over", and every successful page server was
        // judged killed or crashed (seen with the benchmark).
        using var server = Server(logLevel: asked);

        await server.StartIterAsync(Token);
        await server.StopIterAsync(Token);

        Assert.Equal(used, _pageServers.Options.Single().LogLevel);
    }

    [Fact]
    public async Task StopIter_WaitsForThePageServerToExit()
    {
        // The fake page server writes "Session over" only after 0.2 s: returning early would find no log.
        using var server = Server();
        await server.StartIterAsync(Token);

        await server.StopIterAsync(Token);

        Assert.True(FakePageServers.HasExited(_pageServers.Processes[0]));
    }

    [Fact]
    public async Task StopIter_FailsWithTheLogTail_WhenThePageServerLoggedAnError()
    {
        // Handles: a page server that exits after CRIU logged an error (its exit status is out of our reach).
        _pageServers.Script = FakePageServers.Writes(FakePageServers.NotFlushed, FakePageServers.SessionOver);
        using var server = Server();
        await server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<CriuException>(() => server.StopIterAsync(Token));

        Assert.Equal(CriuReqType.PageServerChld, error.RequestType);
        Assert.Contains("The data were not flushed", error.Message);
        Assert.Contains(FakePageServers.NotFlushed, error.LogTail);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StopIterAsync(Token));   // the iteration has ended anyway
    }

    [Fact]
    public async Task StopIter_Fails_WhenThePageServerDiedWithoutLogging()
    {
        // Handles: a page server that crashed or was killed before it could end its session.
        _pageServers.Script = "sleep 0.1";
        using var server = Server();
        await server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<CriuException>(() => server.StopIterAsync(Token));

        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public async Task StopIter_IgnoresCriusHarmlessRlimitError()
    {
        _pageServers.Script = FakePageServers.Writes(FakePageServers.Rlimit, FakePageServers.SessionOver);
        using var server = Server();
        await server.StartIterAsync(Token);

        await server.StopIterAsync(Token);

        Assert.True(FakePageServers.HasExited(_pageServers.Processes[0]));
    }

    [Fact]
    public async Task StopIter_JudgesByTheLog_APageServerThatWasGoneBeforeItsPidfdOpened()
    {
        _pageServers.Script = $"echo '{FakePageServers.SessionOver}' >> LOG";
        _pageServers.ExitBeforeReturning = true;
        using var server = Server();
        await server.StartIterAsync(Token);

        await server.StopIterAsync(Token);
    }

    [Fact]
    public async Task StopIter_KillsAPageServerThatOutlivesTheTimeout()
    {
        // Handles: a source that never connected, leaving the page server waiting forever.
        _pageServers.Script = "exec sleep 30";
        using var server = Server(TimeSpan.FromMilliseconds(300));
        await server.StartIterAsync(Token);

        var error = await Assert.ThrowsAsync<CriuException>(() => server.StopIterAsync(Token));

        Assert.Contains("did not finish within", error.Message);
        Assert.True(_pageServers.Processes[0].WaitForExit(TimeSpan.FromSeconds(5)), "the page server was not killed");
    }

    [Fact]
    public async Task CancellingStopIter_KillsThePageServer_AndEndsTheIteration()
    {
        // Handles: the caller gives up waiting; no page server may be left behind.
        _pageServers.Script = "exec sleep 30";
        using var server = Server();
        await server.StartIterAsync(Token);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.StopIterAsync(cancellation.Token));

        Assert.True(_pageServers.Processes[0].WaitForExit(TimeSpan.FromSeconds(5)), "the page server was not killed");
        await server.StartIterAsync(Token);   // the cancelled iteration is over, so a new one may start
    }

    [Fact]
    public async Task Dispose_KillsARunningPageServer_AndDisposesCriu()
    {
        _pageServers.Script = "exec sleep 30";
        var server = Server();
        await server.StartIterAsync(Token);

        server.Dispose();

        Assert.True(_pageServers.Processes[0].WaitForExit(TimeSpan.FromSeconds(5)), "the page server was not killed");
        _pageServers.Criu.Verify(c => c.Dispose(), Moq.Times.Once);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => server.StartIterAsync(Token));
    }

    [Fact]
    public async Task CallsOutOfOrder_AreRefused()
    {
        using var server = Server();
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StopIterAsync(Token));
        await server.StartIterAsync(Token);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartIterAsync(Token));
    }
}
