using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

/// <summary>
/// Client and server in one process with mocked CRIUs: the server's page servers are real short-lived
/// processes; the client's dump writes a few image files and sends the post-dump notification the way
/// CRIU does, failing the dump when the notification fails.
/// </summary>
internal sealed class InProcessHarness : IDisposable
{
    private readonly TempDirectory _root = new();

    /// <param name="criuOptions">The CRIU options stated for the migration (<see cref="InProcessLocal.CriuOptions"/>).</param>
    public InProcessHarness(CriuOpts? criuOptions = null)
    {
        ClientWdir = _root.Sub("source");
        ServerWdir = _root.Sub("destination");
        PageServers = new FakePageServers(ServerWdir);
        PageServers.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
                   .Returns((CriuOpts opts, ICriuNotify? notify, CancellationToken _) => Restore(opts, notify));
        ClientCriu.Setup(c => c.DumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
                  .Returns((CriuOpts opts, ICriuNotify? notify, CancellationToken _) => Dump(opts, notify));
        Server = PhaulServer.Create(new PhaulConfig { Memfd = 11, Wdir = ServerWdir },
                                    new PhaulServerOptions { CriuFactory = () => PageServers.Criu.Object },
                                    null, new MigrationDependencies(StatsSource.Object, Directories, MemorySocket));
        Local = new InProcessLocal(Server, null, null, new MigrationDependencies(StatsSource.Object, Directories, MemorySocket))
        {
            CriuOptions = criuOptions,
        };
    }

    public string ClientWdir { get; }
    public string ServerWdir { get; }
    public FakePageServers PageServers { get; }
    public Mock<ICriu> ClientCriu { get; } = new();
    public Mock<IStatsSource> StatsSource { get; } = new();
    public FakeDirectories Directories { get; } = new();
    public FakeMemorySocket MemorySocket { get; } = new();
    public PhaulServer Server { get; }
    public InProcessLocal Local { get; }
    public PhaulConfig ClientConfig => new() { Pid = 4321, Memfd = 10, Wdir = ClientWdir };

    public CriuOpts? DumpOptions { get; private set; }
    public CriuOpts? RestoreOptions { get; private set; }
    public Exception? RestoreFailure { get; set; }

    /// <summary>Runs inside the restore, e.g. to send CRIU's notifications.</summary>
    public Func<ICriuNotify, Task>? DuringRestore { get; set; }
    public bool SendPostDump { get; set; } = true;

    /// <summary>Whether the page server had exited when the restore started.</summary>
    public bool PageServerGoneAtRestore { get; private set; }

    private async Task Dump(CriuOpts opts, ICriuNotify? notify)
    {
        DumpOptions = opts.Clone();
        var directory = Directory.GetDirectories(ClientWdir).Order().Last();
        await File.WriteAllTextAsync(Path.Combine(directory, "core-1.img"), "core");
        await File.WriteAllTextAsync(Path.Combine(directory, "inventory.img"), "inventory");
        await File.WriteAllTextAsync(Path.Combine(directory, "stats-dump"), "stats");
        if (!SendPostDump)
            return;
        try
        {
            await notify!.PostDumpAsync();
        }
        catch (Exception)
        {
            throw new CriuException(CriuReqType.Dump, "dump failed: the post-dump notification was refused");
        }
    }

    private async Task<int> Restore(CriuOpts opts, ICriuNotify? notify)
    {
        RestoreOptions = opts.Clone();
        PageServerGoneAtRestore = FakePageServers.HasExited(PageServers.Processes[^1]);
        Assert.True(File.Exists(Path.Combine(Server.LastImagesDir, "core-1.img")), "restore before the images were linked");
        if (DuringRestore is not null)
            await DuringRestore(notify!);
        return RestoreFailure is null ? 4242 : throw RestoreFailure;
    }

    public void Dispose()
    {
        Server.Dispose();
        PageServers.Dispose();
        _root.Dispose();
    }
}
