using System.Net.Sockets;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// A source and a destination in this process, as the README sample sets them up: a connected pair
/// of Unix stream sockets for the memory pages, an empty working directory for each side, a
/// <see cref="PhaulServer"/>, and a recorder of what both sides logged.
/// </summary>
internal sealed class InProcessPair : IDisposable
{
    private readonly string _criuPath;
    private readonly Socket _sourceEnd;
    private readonly Socket _destinationEnd;

    private InProcessPair(string criuPath, Socket sourceEnd, Socket destinationEnd, DirectoryInfo source, DirectoryInfo destination)
    {
        _criuPath = criuPath;
        _sourceEnd = sourceEnd;
        _destinationEnd = destinationEnd;
        Source = source;
        Destination = destination;
        Server = PhaulServer.MakePhaulServer(new PhaulConfig { Memfd = (int)destinationEnd.Handle, Wdir = destination.FullName },
                                             new PhaulServerOptions { CriuFactory = NewCriu }, Log);
    }

    public LogRecorder Log { get; } = new();

    public DirectoryInfo Source { get; }

    public DirectoryInfo Destination { get; }

    public PhaulServer Server { get; }

    /// <summary>The page servers the destination started, from its log.</summary>
    public IReadOnlyList<int> PageServerPids => [.. Log.Values(eventId: 2100, "PageServerPid").Cast<int>()];

    public static async Task<InProcessPair> CreateAsync(string criuPath, CancellationToken cancellationToken)
    {
        var source = Directory.CreateTempSubdirectory("phaul-it-source-");
        var destination = Directory.CreateTempSubdirectory("phaul-it-destination-");
        var endpoint = new UnixDomainSocketEndPoint(Path.Combine(source.FullName, "memory.sock"));
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var sourceEnd = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync(cancellationToken).AsTask();
        await sourceEnd.ConnectAsync(endpoint, cancellationToken);
        var destinationEnd = await accept;
        File.Delete(Path.Combine(source.FullName, "memory.sock"));
        return new InProcessPair(criuPath, sourceEnd, destinationEnd, source, destination);
    }

    /// <summary>Whether CRIU reports dirty-memory tracking here (FEATURE_CHECK mem_track).</summary>
    public static async Task<bool> MemoryTrackingAsync(string criuPath, CancellationToken cancellationToken)
    {
        using var criu = new Criu(criuPath);
        return (await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true }, cancellationToken)).MemTrack;
    }

    /// <summary>
    /// A client migrating <paramref name="pid"/> to <see cref="Server"/> with an <see cref="InProcessLocal"/>; stop-and-copy
    /// unless asked otherwise (Auto would pick post-copy here, which the PostCopy tests cover).
    /// </summary>
    public PhaulClient Client(int pid, MigrationStrategy strategy = MigrationStrategy.StopAndCopy, InProcessLocalOptions? localOptions = null,
                              bool allowFallback = true, IMigrationHook? fileSystem = null) =>
        PhaulClient.MakePhaulClient(new InProcessLocal(Server, Log, localOptions?.ConfigureDump, localOptions?.ConfigureRestore), Server,
                                    new PhaulConfig { Pid = pid, Memfd = (int)_sourceEnd.Handle, Wdir = Source.FullName },
                                    new PhaulClientOptions
                                    {
                                        Strategy = strategy, AllowFallback = allowFallback, CriuFactory = NewCriu, Hooks = fileSystem is null ? [] : [fileSystem],
                                    }, Log);

    /// <summary>Every page server the destination started has exited, and no process holds a file in either working directory.</summary>
    public void AssertNothingLeftRunning()
    {
        Assert.All(PageServerPids, pid => Assert.True(ProcessTable.IsGone(pid), $"page server {pid} still runs"));
        Assert.Empty(ProcessTable.HoldersOf(Destination.FullName));
        Assert.Empty(ProcessTable.HoldersOf(Source.FullName));
    }

    private Criu NewCriu() => new(_criuPath, Log);

    public void Dispose()
    {
        Server.Dispose();
        _sourceEnd.Dispose();
        _destinationEnd.Dispose();
        Source.Delete(recursive: true);
        Destination.Delete(recursive: true);
    }
}
