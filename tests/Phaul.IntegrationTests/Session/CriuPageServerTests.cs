using System.Net.Sockets;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Session;

/// <summary>
/// Page servers CRIU starts, fed over a socket the caller passes as Ps.Fd: a dump sends its pages
/// there, and the tree restores from the page server's directory.
/// </summary>
public sealed class CriuPageServerTests : IDisposable
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _source = Directory.CreateTempSubdirectory("phaul-it-ps-source-");
    private readonly DirectoryInfo _destination = Directory.CreateTempSubdirectory("phaul-it-ps-destination-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task PageServerChild_OfAOneShotSession_ReceivesTheDumpsPages()
    {
        using var destinationCriu = new Criu(CriuTestEnvironment.RequireCriu());

        await AssertMigratesThroughPageServerAsync(async opts =>
        {
            var server = await destinationCriu.StartPageServerChldAsync(opts, Ct);
            var exit = PidFd.TryOpen(server.Pid);
            return async () =>
            {
                using (exit)
                    Assert.True(exit is null || await exit.WaitForExitAsync(Progress, Ct), "the page server did not exit after the dump");
            };
        }, destinationCriu);
    }

    [Fact(Timeout = 120_000)]
    public async Task PageServerChild_OfAPreparedSession_IsWaitedForWithWaitPid()
    {
        using var destinationCriu = new Criu(CriuTestEnvironment.RequireCriu());
        destinationCriu.Prepare();

        await AssertMigratesThroughPageServerAsync(async opts =>
        {
            var server = await destinationCriu.StartPageServerChldAsync(opts, Ct);
            return async () => Assert.Equal(0, await destinationCriu.WaitPidAsync(server.Pid, Ct));
        }, destinationCriu);
    }

    [Fact(Timeout = 120_000)]
    public async Task DaemonPageServer_ReceivesTheDumpsPages()
    {
        using var destinationCriu = new Criu(CriuTestEnvironment.RequireCriu());

        await AssertMigratesThroughPageServerAsync(async opts =>
        {
            await destinationCriu.StartPageServerAsync(opts, Ct);
            // The daemon's pid is not reported; the dump's success is the proof it received the pages.
            return () => Task.CompletedTask;
        }, destinationCriu);
    }

    /// <param name="startPageServer">Starts a page server with the given options; returns a wait for it to finish.</param>
    /// <param name="destinationCriu">Restores from the page server's directory.</param>
    private async Task AssertMigratesThroughPageServerAsync(Func<CriuOpts, Task<Func<Task>>> startPageServer, Criu destinationCriu)
    {
        using var sourceCriu = new Criu(CriuTestEnvironment.RequireCriu());
        using var workload = await Workload.StartAsync(memoryMiB: 16, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);
        // .NET sockets used asynchronously, so non-blocking underneath: CRIU failed on them with EAGAIN
        // ("Can't write pages to socket") until Criu cleared O_NONBLOCK.
        var (dumpEnd, serverEnd) = await ConnectedStreamSocketsAsync();
        using var sourceImages = ImagesDirectory.Open(_source.FullName);
        using var destinationImages = ImagesDirectory.Open(_destination.FullName);

        var pageServerDone = await startPageServer(new CriuOpts
        {
            ImagesDirFd = destinationImages.Fd, LogFile = "page-server.log", Ps = new CriuPageServerInfo { Fd = (int)serverEnd.Handle },
        });
        serverEnd.Dispose();
        await sourceCriu.DumpAsync(new CriuOpts
        {
            Pid = workload.Pid, ImagesDirFd = sourceImages.Fd, LogFile = "dump.log", Ps = new CriuPageServerInfo { Fd = (int)dumpEnd.Handle },
        }, null, Ct);
        dumpEnd.Dispose();
        await pageServerDone();
        await workload.WaitForExitAsync(Progress, Ct);
        var pagesAtTheSource = _source.GetFiles("pages-*.img");
        foreach (var image in _source.GetFiles("*.img").Where(f => !File.Exists(Path.Combine(_destination.FullName, f.Name))))
            image.CopyTo(Path.Combine(_destination.FullName, image.Name));
        var pid = await destinationCriu.RestoreAsync(new CriuOpts { ImagesDirFd = destinationImages.Fd, LogFile = "restore.log" }, null, Ct);
        workload.AdoptRestored(pid);
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        Assert.Empty(pagesAtTheSource);
        Assert.NotEmpty(_destination.GetFiles("pages-*.img"));
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, after.BadWords);
    }

    private async Task<(Socket Client, Socket Server)> ConnectedStreamSocketsAsync()
    {
        var path = Path.Combine(_source.FullName, "ps.sock");
        var endpoint = new UnixDomainSocketEndPoint(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync(Ct).AsTask();
        await client.ConnectAsync(endpoint, Ct);
        var server = await accept;
        File.Delete(path);
        return (client, server);
    }

    public void Dispose()
    {
        _source.Delete(recursive: true);
        _destination.Delete(recursive: true);
    }
}
