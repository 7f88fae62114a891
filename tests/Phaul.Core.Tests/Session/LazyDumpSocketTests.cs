using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

/// <summary>
/// CRIU's RPC ignores ps.fd when lazy_pages is set; Criu passes the socket as --ps-socket through an RPC
/// config file instead. The fake peer reads that file while the request runs, as CRIU does.
/// </summary>
public sealed class LazyDumpSocketTests : IDisposable
{
    private readonly TestFds _fds = new();
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-lazy-config-");

    [Fact]
    public async Task ALazyDumpOverPsFd_NamesTheSocketsNumberInCriu_InAConfigFileCriuCanOpen()
    {
        var (sent, config) = await DumpAsync(opts => opts.LazyPages = true);

        Assert.Equal($"ps-socket {SwrkProcess.FirstCallerFd}\n", config);
        Assert.StartsWith($"/proc/{Environment.ProcessId}/fd/", sent.Opts.ConfigFile, StringComparison.Ordinal);
        Assert.Equal(SwrkProcess.FirstCallerFd, sent.Opts.Ps.Fd);
    }

    [Fact]
    public async Task TheCallersOwnConfigFile_KeepsItsLines_BeforeTheSocket()
    {
        var own = Path.Combine(_dir.FullName, "runc.conf");
        await File.WriteAllTextAsync(own, "tcp-established\nlog-file other.log", Ct);

        var (_, config) = await DumpAsync(opts =>
        {
            opts.LazyPages = true;
            opts.ConfigFile = own;
        });

        Assert.Equal($"tcp-established\nlog-file other.log\nps-socket {SwrkProcess.FirstCallerFd}\n", config);
    }

    [Fact]
    public async Task ADumpThatIsNotLazy_GetsNoConfigFile_CriuReadsPsFdItself()
    {
        var (sent, config) = await DumpAsync(_ => { });

        Assert.False(sent.Opts.HasConfigFile);
        Assert.Null(config);
    }

    private async Task<(CriuReq Sent, string? Config)> DumpAsync(Action<CriuOpts> configure)
    {
        CriuReq? sent = null;
        string? config = null;
        using var fake = new FakeSwrkLauncher(async peer =>
        {
            await peer.ServeVersionAsync();
            sent = await peer.ExpectAsync(CriuReqType.Dump);
            if (sent.Opts.HasConfigFile)
                config = await File.ReadAllTextAsync(sent.Opts.ConfigFile, Ct);
            await peer.ReplySuccessAsync(CriuReqType.Dump);
        });
        using var criu = fake.CreateCriu();
        var opts = _fds.Opts("dump.log");
        opts.Pid = 1234;
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };
        configure(opts);

        await criu.DumpAsync(opts, null, Ct).WithDeadline();
        await fake.ScriptsCompletedAsync();
        return (sent!, config);
    }

    public void Dispose()
    {
        _fds.Dispose();
        _dir.Delete(recursive: true);
    }
}
