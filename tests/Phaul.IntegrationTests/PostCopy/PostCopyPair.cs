using System.Net.Sockets;
using Phaul.IntegrationTests.Migration;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>
/// A source and a destination in this process for post-copy: a connected pair of Unix stream sockets as
/// the memory connection, an empty working directory per side, a <see cref="PhaulServer"/> whose CRIU can
/// be intercepted, and an event log of both sides.
/// </summary>
internal sealed class PostCopyPair : IDisposable
{
    private readonly string _criuPath;

    private PostCopyPair(string criuPath, Socket sourceEnd, Socket destinationEnd, PhaulServerOptions? serverOptions)
    {
        _criuPath = criuPath;
        SourceEnd = sourceEnd;
        DestinationEnd = destinationEnd;
        Source = Directory.CreateTempSubdirectory("phaul-it-postcopy-source-");
        Destination = Directory.CreateTempSubdirectory("phaul-it-postcopy-destination-");
        DestinationCriu = new InterceptingCriu(new Criu(criuPath, Log));
        var options = serverOptions ?? new PhaulServerOptions();
        Server = PhaulServer.MakePhaulServer(new PhaulConfig { Memfd = (int)destinationEnd.Handle, Wdir = Destination.FullName },
                                             new PhaulServerOptions
                                             {
                                                 CriuFactory = () => DestinationCriu,
                                                 PostCopyTimeout = options.PostCopyTimeout,
                                                 LazyPagesStartTimeout = options.LazyPagesStartTimeout,
                                             }, Log);
    }

    public EventLog Log { get; } = new();

    public Socket SourceEnd { get; }

    public Socket DestinationEnd { get; }

    public DirectoryInfo Source { get; }

    public DirectoryInfo Destination { get; }

    public InterceptingCriu DestinationCriu { get; }

    public PhaulServer Server { get; }

    /// <summary>The lazy-pages daemons the destination started, from its log.</summary>
    public IReadOnlyList<int> DaemonPids => [.. Log.Values(eventId: 4100, "DaemonPid").Cast<int>()];

    public static PostCopyPair Create(string criuPath, PhaulServerOptions? serverOptions = null)
    {
        var (sourceEnd, destinationEnd) = Connect();
        return new PostCopyPair(criuPath, sourceEnd, destinationEnd, serverOptions);
    }

    public PhaulClient Client(int pid, MigrationStrategy strategy = MigrationStrategy.PostCopy, InProcessLocalOptions? localOptions = null) =>
        PhaulClient.MakePhaulClient(new InProcessLocal(Server, Log, localOptions?.ConfigureDump, localOptions?.ConfigureRestore), Server,
                                    new PhaulConfig { Pid = pid, Memfd = (int)SourceEnd.Handle, Wdir = Source.FullName },
                                    new PhaulClientOptions { Strategy = strategy, AllowFallback = false, CriuFactory = () => new Criu(_criuPath, Log) },
                                    Log);

    /// <summary>No lazy-pages daemon runs, and no CRIU (swrk, daemon, half-restored tree) holds either working directory.</summary>
    public async Task AssertNothingLeftRunningAsync()
    {
        foreach (var pid in DaemonPids)
            Assert.True(await ProcessTable.WaitGoneAsync(pid, TimeSpan.FromSeconds(10)), $"lazy-pages daemon {pid} still runs");
        Assert.Empty(ProcessTable.HoldersOf(Destination.FullName));
        Assert.Empty(ProcessTable.HoldersOf(Source.FullName));
    }

    private static (Socket, Socket) Connect()
    {
        var path = Path.Combine(Path.GetTempPath(), $"phaul-it-memory-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var sourceEnd = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        sourceEnd.Connect(new UnixDomainSocketEndPoint(path));
        var destinationEnd = listener.Accept();
        File.Delete(path);
        return (sourceEnd, destinationEnd);
    }

    public void Dispose()
    {
        Server.Dispose();
        SourceEnd.Dispose();
        DestinationEnd.Dispose();
        Source.Delete(recursive: true);
        Destination.Delete(recursive: true);
    }
}
