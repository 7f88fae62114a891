using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>What Criu puts on the wire and what it makes of the answers, against a fake swrk peer.</summary>
public sealed class CriuRequestTests : IDisposable
{
    private readonly TestFds _fds = new();

    [Fact]
    public async Task Dump_RewritesPsFdToCriusNumber_InACopy_AndLeavesTheCallersOptsAlone()
    {
        CriuReq? sent = null;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            sent = await peer.ExpectAsync(CriuReqType.Dump);
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts("dump.log");
        opts.Pid = 1234;
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };
        var original = opts.Clone();

        await criu.DumpAsync(opts, null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal([_fds.SocketFd], fake.Peers.Single().CallerFds);
        Assert.Equal(SwrkProcess.FirstCallerFd, sent!.Opts.Ps.Fd);
        Assert.Equal(1234, sent.Opts.Pid);
        Assert.Equal(_fds.Images.Fd, sent.Opts.ImagesDirFd);
        Assert.Equal("dump.log", sent.Opts.LogFile);
        Assert.False(sent.KeepOpen);
        // Without a handler too: cancelling a dump works through a notification CRIU is answered "failed".
        Assert.True(sent.Opts.NotifyScripts);
        Assert.Equal(original, opts);
    }

    [Fact]
    public async Task FdsPassedToCriu_AreMadeBlocking_BecauseCriuExpectsThemToBe()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };
        // Any asynchronous operation makes .NET switch the socket to non-blocking underneath.
        await _fds.Socket.SendAsync(new byte[1], System.Net.Sockets.SocketFlags.None, Ct);
        Assert.NotEqual(0, Interop.Fcntl(_fds.SocketFd, Interop.F_GETFL, 0) & Interop.O_NONBLOCK);

        await criu.DumpAsync(opts, null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(0, Interop.Fcntl(_fds.SocketFd, Interop.F_GETFL, 0) & Interop.O_NONBLOCK);
    }

    [Fact]
    public async Task Restore_AddsRegisteredInheritFds_NumberedAfterTheRequestsOwnFds_AndReturnsThePid()
    {
        CriuReq? sent = null;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            sent = await peer.ExpectAsync(CriuReqType.Restore);
            await peer.SendAsync(new CriuResp { Type = CriuReqType.Restore, Success = true, Restore = new CriuRestoreResp { Pid = 777 } });
        });
        using var criu = fake.CreateCriu();
        criu.AddInheritFd("pipe:[42]", _fds.OtherSocketFd);
        var opts = _fds.Opts();
        opts.InheritFd.Add(new InheritFd { Key = "socket:[7]", Fd = _fds.SocketFd });

        var pid = await criu.RestoreAsync(opts, null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(777, pid);
        Assert.Equal([_fds.SocketFd, _fds.OtherSocketFd], fake.Peers.Single().CallerFds);
        Assert.Equal([("socket:[7]", 4), ("pipe:[42]", 5)], sent!.Opts.InheritFd.Select(i => (i.Key, i.Fd)));
        Assert.Single(opts.InheritFd);
    }

    [Fact]
    public async Task VersionIsAskedOncePerInstance_NotOnEverySession()
    {
        using var fake = new FakeSwrkLauncher(
            async peer =>
            {
                await peer.ServeVersionAsync();
                await peer.ExpectAsync(CriuReqType.Check);
                await peer.ReplySuccessAsync(CriuReqType.Check);
            },
            async peer =>
            {
                await peer.ExpectAsync(CriuReqType.Check);
                await peer.ReplySuccessAsync(CriuReqType.Check);
            });
        using var criu = fake.CreateCriu();

        await criu.CheckAsync(_fds.Opts(), Ct).WithDeadline();
        await criu.CheckAsync(_fds.Opts(), Ct).WithDeadline();
        var version = await criu.GetCriuVersionAsync(Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(40201, version);
        Assert.Equal(2, fake.Peers.Count);
    }

    [Fact]
    public async Task CriuOlderThanTheMinimum_IsRefusedNamingBothVersions_ButStillAnswersVersionQuestions()
    {
        using var fake = new FakeSwrkLauncher(
            peer => peer.ServeVersionAsync(3, 14, 0),
            async peer =>
            {
                await peer.ExpectAsync(CriuReqType.Version);
                await peer.SendVersionAsync(3, 14, 0);
            });
        using var criu = fake.CreateCriu();

        var refused = await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();

        Assert.Equal(CriuReqType.Dump, refused.RequestType);
        Assert.Contains("3.14.0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("3.17.0", refused.Message, StringComparison.Ordinal);
        Assert.False(await criu.IsCriuAtLeastAsync(Criu.MinimumVersion, Ct));
        Assert.True(await criu.IsCriuAtLeastAsync(31400, Ct));
    }

    [Fact]
    public async Task FeatureCheck_ReturnsCriusAnswer_NotTheQuestion()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            var request = await peer.ExpectAsync(CriuReqType.FeatureCheck);
            Assert.True(request.Features.MemTrack);
            await peer.SendAsync(new CriuResp
            {
                Type = CriuReqType.FeatureCheck,
                Success = true,
                Features = new CriuFeatures { MemTrack = false, LazyPages = true },
            });
        });
        using var criu = fake.CreateCriu();

        var answer = await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true, LazyPages = true }, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.False(answer.MemTrack);
        Assert.True(answer.LazyPages);
    }

    [Fact]
    public async Task PageServerChld_AcceptsCriusPageServerTypedAnswer_AndReturnsPidAndPort()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.PageServerChld);
            // CRIU answers PAGE_SERVER_CHLD with type PAGE_SERVER.
            await peer.SendAsync(new CriuResp { Type = CriuReqType.PageServer, Success = true, Ps = new CriuPageServerInfo { Pid = 99, Port = 0 } });
        });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };

        var info = await criu.StartPageServerChldAsync(opts, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(99, info.Pid);
    }

    [Fact]
    public async Task WaitPid_SendsThePid_AndReturnsTheStatus()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            var request = await peer.ExpectAsync(CriuReqType.WaitPid);
            Assert.Equal(321u, request.Pid);
            await peer.SendAsync(new CriuResp { Type = CriuReqType.WaitPid, Success = true, Status = 256 });
        });
        using var criu = fake.CreateCriu();

        Assert.Equal(256, await criu.WaitPidAsync(321, Ct).WithDeadline());
        await fake.ScriptsCompletedAsync();
    }

    [Fact]
    public async Task BadArguments_AreRejectedNamingTheField_BeforeAnythingStarts()
    {
        using var fake = new FakeSwrkLauncher();
        using var criu = fake.CreateCriu();
        var closedFd = _fds.Opts();
        closedFd.Ps = new CriuPageServerInfo { Fd = 1_000_000 };

        var noImages = await Assert.ThrowsAsync<ArgumentException>(() => criu.DumpAsync(new CriuOpts { Pid = 1 }, null, Ct));
        var badFd = await Assert.ThrowsAsync<ArgumentException>(() => criu.DumpAsync(closedFd, null, Ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => criu.FeatureCheckAsync(null!, Ct));

        Assert.Contains("ImagesDirFd", noImages.Message, StringComparison.Ordinal);
        Assert.Contains("opts.Ps.Fd", badFd.Message, StringComparison.Ordinal);
        Assert.Empty(fake.Peers);
    }

    public void Dispose() => _fds.Dispose();
}
