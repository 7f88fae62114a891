using System.Net;
using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>
/// The two ends of a migration through Phaul.Transport on loopback: their directories, a fresh key, and the
/// destination service listening on a free port with its sessions under <see cref="Destination"/>.
/// </summary>
internal sealed class RemoteEnds : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("phaul-remote-").FullName;

    /// <param name="destinationHooks">Called at each step of the destination's half of the hand-over.</param>
    /// <param name="destinationWdir">The destination service's Wdir; null for a new directory beside the source's.</param>
    /// <param name="fileSystem">What sources may do with files on the destination; null for the defaults.</param>
    /// <param name="destinationDependencies">What the destination's PhaulServers read of their host; null for the real host.</param>
    public RemoteEnds(HandOverHooks? destinationHooks = null, string? destinationWdir = null, FileSystemDestinationOptions? fileSystem = null,
                      MigrationDependencies? destinationDependencies = null)
    {
        Source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        Destination = destinationWdir ?? Directory.CreateDirectory(Path.Combine(_root, "destination")).FullName;
        var options = new MigrationListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = Destination, Key = Key, HandOverHooks = destinationHooks ?? HandOverHooks.None,
        };
        options = fileSystem is not null ? options.WithFileSystem(fileSystem) : options;
        Listener = destinationDependencies is null
            ? MigrationListener.Start(options)
            : MigrationListener.Start(options, null, new DestinationServices(
                                          config => new PhaulServerTarget(PhaulServer.Create(config, null, null, destinationDependencies)),
                                          CriuImageStats.ReadRestoreStatsAsync));
        var ended = new TaskCompletionSource<MigrationSessionEndedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        Listener.SessionEnded += (_, e) =>
        {
            lock (Ended)
                Ended.Add(e);
            ended.TrySetResult(e);
        };
        SessionEnded = ended.Task;
    }



    /// <summary>The source's Wdir.</summary>
    public string Source { get; }

    /// <summary>The destination service's Wdir.</summary>
    public string Destination { get; }

    /// <summary>The key the destination service holds.</summary>
    public PreSharedKey Key { get; } = PreSharedKey.Generate();

    /// <summary>The destination service.</summary>
    public MigrationListener Listener { get; }

    /// <summary>Completes with the first session's end.</summary>
    public Task<MigrationSessionEndedEventArgs> SessionEnded { get; }

    /// <summary>Every session's end so far, in order.</summary>
    public List<MigrationSessionEndedEventArgs> Ended { get; } = [];

    /// <summary>Connects a source with the destination's key.</summary>
    public Task<MigrationConnection> ConnectAsync(MigrationConnectionOptions? options = null) =>
        MigrationConnection.ConnectAsync(Listener.LocalEndPoint, Key, options, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A client migrating <paramref name="pid"/> through <paramref name="connection"/>, working in <see cref="Source"/> (or a new subdirectory of it).</summary>
    public PhaulClient Client(MigrationConnection connection, int pid, PhaulClientOptions? options = null, string? subdirectory = null) =>
        PhaulClient.MakePhaulClient(connection.Local, connection.Remote, new PhaulConfig
        {
            Pid = pid, Memfd = connection.Memfd,
            Wdir = subdirectory is null ? Source : Directory.CreateDirectory(Path.Combine(Source, subdirectory)).FullName,
        }, options);

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}
