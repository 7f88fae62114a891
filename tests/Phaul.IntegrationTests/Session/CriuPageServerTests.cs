using System.Net.Sockets;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Session;

/// <summary>A page server child CRIU forks, fed over a socket the caller passes as Ps.Fd.</summary>
public sealed class CriuPageServerTests : IDisposable
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _source = Directory.CreateTempSubdirectory("phaul-it-ps-source-");
    private readonly DirectoryInfo _destination = Directory.CreateTempSubdirectory("phaul-it-ps-destination-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PageServerChild_ReceivesADumpsPagesThroughPsFd_AndTheTreeRestoresFromItsDirectory()
    {
        var path = CriuTestEnvironment.RequireCriu();
        using var destinationCriu = new Criu(path);
        using var sourceCriu = new Criu(path);
        using var workload = await Workload.StartAsync(memoryMiB: 16, cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);
        // .NET sockets used asynchronously, so non-blocking underneath: CRIU failed on them with EAGAIN
        // ("Can't write pages to socket") until Criu cleared O_NONBLOCK.
        var (dumpEnd, serverEnd) = await ConnectedStreamSocketsAsync();
        using var sourceImages = ImagesDirectory.Open(_source.FullName);
        using var destinationImages = ImagesDirectory.Open(_destination.FullName);

        var server = await destinationCriu.StartPageServerChldAsync(
            new CriuOpts { ImagesDirFd = destinationImages.Fd, LogFile = "page-server.log", Ps = new CriuPageServerInfo { Fd = (int)serverEnd.Handle } }, Ct);
        using var serverExit = PidFd.TryOpen(server.Pid);
        serverEnd.Dispose();
        await sourceCriu.DumpAsync(
            new CriuOpts { Pid = workload.Pid, ImagesDirFd = sourceImages.Fd, LogFile = "dump.log", Ps = new CriuPageServerInfo { Fd = (int)dumpEnd.Handle } },
            null, Ct);
        dumpEnd.Dispose();
        Assert.True(serverExit is null || await serverExit.WaitForExitAsync(Progress, Ct), "the page server did not exit after the dump");
        await workload.WaitForExitAsync(Progress, Ct);
        var pagesHere = _source.GetFiles("pages-*.img");
        foreach (var image in _source.GetFiles("*.img").Where(f => !File.Exists(Path.Combine(_destination.FullName, f.Name))))
            image.CopyTo(Path.Combine(_destination.FullName, image.Name));
        var pid = await destinationCriu.RestoreAsync(new CriuOpts { ImagesDirFd = destinationImages.Fd, LogFile = "restore.log" }, null, Ct);
        workload.AdoptRestored(pid);
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        Assert.True(server.Pid > 0);
        Assert.Empty(pagesHere);
        Assert.NotEmpty(_destination.GetFiles("pages-*.img"));
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, after.BadWords);
    }

    private async Task<(Socket Client, Socket Server)> ConnectedStreamSocketsAsync()
    {
        var endpoint = new UnixDomainSocketEndPoint(Path.Combine(_source.FullName, "ps.sock"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync(Ct).AsTask();
        await client.ConnectAsync(endpoint, Ct);
        var server = await accept;
        File.Delete(Path.Combine(_source.FullName, "ps.sock"));
        return (client, server);
    }

    public void Dispose()
    {
        _source.Delete(recursive: true);
        _destination.Delete(recursive: true);
    }
}
