using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>Which swrk session serves which request, following what CRIU's service allows.</summary>
public sealed class CriuSessionRulesTests : IDisposable
{
    private readonly TestFds _fds = new();

    [Fact]
    public async Task Prepared_PreDumpsThenTheDump_ShareOneSession_WithTheirFdsFromTheStart()
    {
        using var fake = new FakeSwrkLauncher(
            // Prepare() starts a session without caller fds; the first pre-dump names Ps.Fd, so it is replaced.
            async peer => Assert.True(await peer.ClientClosedAsync()),
            async peer =>
            {
                await peer.ServeVersionAsync();
                foreach (var type in new[] { CriuReqType.PreDump, CriuReqType.PreDump, CriuReqType.Dump })
                {
                    var request = await peer.ExpectAsync(type);
                    Assert.Equal(SwrkProcess.FirstCallerFd, request.Opts.Ps.Fd);
                    await peer.ReplySuccessAsync(type);
                }
            });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };

        criu.Prepare();
        await criu.PreDumpAsync(opts, null, Ct).WithDeadline();
        await criu.PreDumpAsync(opts, null, Ct).WithDeadline();
        await criu.DumpAsync(opts, null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(2, fake.Peers.Count);
        Assert.True(fake.Peers[0].WasKilled);
    }

    [Fact]
    public async Task Prepared_KeepOpenRequests_StayOnTheSession_WithKeepOpenSet()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ExpectAsync(CriuReqType.Version);
            await peer.SendVersionAsync(4, 2, 1);
            foreach (var type in new[] { CriuReqType.FeatureCheck, CriuReqType.CpuinfoDump, CriuReqType.CpuinfoCheck })
            {
                var request = await peer.ExpectAsync(type);
                Assert.True(request.KeepOpen, $"{type} on a prepared session must ask for keep_open");
                await peer.SendAsync(new CriuResp { Type = type, Success = true, Features = new CriuFeatures() });
            }
            await peer.ExpectAsync(CriuReqType.Dump);
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();

        criu.Prepare();
        await criu.GetCriuVersionAsync(Ct).WithDeadline();
        await criu.FeatureCheckAsync(new CriuFeatures { LazyPages = true }, Ct).WithDeadline();
        await criu.CpuInfoDumpAsync(_fds.Opts(), Ct).WithDeadline();
        await criu.CpuInfoCheckAsync(_fds.Opts(), Ct).WithDeadline();
        await criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Single(fake.Peers);
    }

    [Fact]
    public async Task Prepared_KeepOpenRequestDuringAPreDumpChain_GetsASessionOfItsOwn()
    {
        using var fake = new FakeSwrkLauncher(
            async peer =>
            {
                await peer.ServeVersionAsync();
                await peer.ExpectAsync(CriuReqType.PreDump);
                await peer.ReplySuccessAsync(CriuReqType.PreDump);
                await peer.ExpectAsync(CriuReqType.Dump);
                await peer.ReplySuccessAsync(CriuReqType.Dump);
            },
            async peer =>
            {
                var request = await peer.ExpectAsync(CriuReqType.FeatureCheck);
                Assert.False(request.KeepOpen);
                await peer.SendAsync(new CriuResp { Type = CriuReqType.FeatureCheck, Success = true, Features = new CriuFeatures() });
            });
        using var criu = fake.CreateCriu();

        criu.Prepare();
        await criu.PreDumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true }, Ct).WithDeadline();
        await criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(2, fake.Peers.Count);
    }

    [Theory]
    [InlineData(CriuReqType.Restore)]
    [InlineData(CriuReqType.Check)]
    [InlineData(CriuReqType.SinglePreDump)]
    public async Task Prepared_RequestsCriuServesOnlyLast_GetASessionOfTheirOwn(CriuReqType type)
    {
        using var fake = new FakeSwrkLauncher(
            async peer => Assert.True(await peer.ClientClosedAsync()),
            async peer =>
            {
                await peer.ServeVersionAsync();
                await peer.ExpectAsync(type);
                await peer.SendAsync(new CriuResp { Type = type, Success = true, Restore = new CriuRestoreResp { Pid = 5 } });
            });
        using var criu = fake.CreateCriu();
        criu.Prepare();

        await (type switch
        {
            CriuReqType.Restore => criu.RestoreAsync(_fds.Opts(), null, Ct),
            CriuReqType.Check => criu.CheckAsync(_fds.Opts(), Ct),
            _ => criu.SinglePreDumpAsync(_fds.Opts(), null, Ct),
        }).WithDeadline();
        Assert.False(fake.Peers[0].WasKilled, "the prepared session must survive a request it does not serve");
        criu.Cleanup();
        await fake.ScriptsCompletedAsync();

        Assert.True(fake.Peers[0].WasKilled);
    }

    [Fact]
    public async Task Prepared_WaitPidAfterAPageServerChild_RunsOnTheSameSession_WhichItEnds()
    {
        using var fake = new FakeSwrkLauncher(
            async peer => Assert.True(await peer.ClientClosedAsync()),
            async peer =>
            {
                await peer.ServeVersionAsync();
                Assert.True((await peer.ExpectAsync(CriuReqType.PageServerChld)).KeepOpen);
                await peer.SendAsync(new CriuResp { Type = CriuReqType.PageServer, Success = true, Ps = new CriuPageServerInfo { Pid = 77 } });
                var wait = await peer.ExpectAsync(CriuReqType.WaitPid);
                Assert.False(wait.KeepOpen);
                Assert.Equal(77u, wait.Pid);
                await peer.SendAsync(new CriuResp { Type = CriuReqType.WaitPid, Success = true, Status = 0 });
            });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };

        criu.Prepare();
        var server = await criu.StartPageServerChldAsync(opts, Ct).WithDeadline();
        var status = await criu.WaitPidAsync(server.Pid, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(0, status);
        Assert.Equal(2, fake.Peers.Count);
    }

    [Fact]
    public async Task WithoutPrepare_EveryCallStartsAndEndsItsOwnSession()
    {
        using var fake = new FakeSwrkLauncher(
            async peer =>
            {
                await peer.ServeVersionAsync();
                Assert.False((await peer.ExpectAsync(CriuReqType.PreDump)).KeepOpen);
                await peer.ReplySuccessAsync(CriuReqType.PreDump);
            },
            async peer =>
            {
                Assert.False((await peer.ExpectAsync(CriuReqType.Dump)).KeepOpen);
                await peer.ReplySuccessAsync(CriuReqType.Dump);
            });
        using var criu = fake.CreateCriu();

        await criu.PreDumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.All(fake.Peers, peer => Assert.True(peer.WasKilled));
    }

    [Fact]
    public async Task AfterTheFinalDump_ThePreparedSessionIsGone_AndLaterCallsGetTheirOwn()
    {
        using var fake = new FakeSwrkLauncher(
            async peer =>
            {
                await peer.ServeVersionAsync();
                await peer.ExpectAsync(CriuReqType.Dump);
                await peer.ReplySuccessAsync(CriuReqType.Dump);
            },
            async peer =>
            {
                await peer.ExpectAsync(CriuReqType.Dump);
                await peer.ReplySuccessAsync(CriuReqType.Dump);
            });
        using var criu = fake.CreateCriu();

        criu.Prepare();
        await criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await criu.DumpAsync(_fds.Opts(), null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();

        Assert.Equal(2, fake.Peers.Count);
    }

    [Fact]
    public async Task Dispose_KillsTheCriuOfACallStillRunning_AndTheCallFails()
    {
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            await peer.ExpectAsync(CriuReqType.Dump);
        });
        var criu = fake.CreateCriu();
        var dump = criu.DumpAsync(_fds.Opts(), null, Ct);
        await fake.ScriptsCompletedAsync();

        criu.Dispose();

        await Assert.ThrowsAsync<CriuException>(() => dump.WithDeadline());
        Assert.True(fake.Peers.Single().WasKilled);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => criu.DumpAsync(_fds.Opts(), null, Ct));
    }

    public void Dispose() => _fds.Dispose();
}
