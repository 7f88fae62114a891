using System.Net.Sockets;
using Moq;
using Phaul.Core.Tests.Fakes;
using Phaul.Core.Tests.Migration;
using Phaul.Rpc;

namespace Phaul.Core.Tests.PostCopy;

/// <summary>
/// The in-process post-copy final stage against a mocked source CRIU that behaves like a lazy dump (images
/// and log written, post-dump notification, then serving until the destination's daemon is done) and a
/// server with a real fake lazy-pages daemon. Which source tree gets continued or killed is recorded.
/// </summary>
public sealed class InProcessPostCopyTests : IDisposable
{
    private const int SourcePid = 4321;

    private readonly TempDirectory _source = new();
    private readonly Socket _memory;
    private readonly Socket _memoryPeer;
    private readonly Mock<ICriu> _criu = new();
    private readonly List<string> _events = [];
    private LazyServerHarness _destination;
    private CriuOpts? _dumpOptions;

    public InProcessPostCopyTests()
    {
        (_memory, _memoryPeer) = Pair();
        _destination = new LazyServerHarness();
        _criu.Setup(c => c.DumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
             .Returns((CriuOpts opts, ICriuNotify? notify, CancellationToken token) => LazyDumpAsync(opts, notify!, token));
    }

    /// <summary>Makes the mocked source dump fail once the tree was restored, as a page server that breaks.</summary>
    private bool FailWhileServing { get; set; }

    [Fact]
    public async Task PostCopy_RestoresAfterThePostDumpNotification_WaitsForEveryPage_ThenKillsTheStoppedSource()
    {
        var local = Local();

        await local.DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", Deadlines.Ct).WithDeadline();

        Assert.True(_dumpOptions!.LazyPages);
        Assert.True(_dumpOptions.LeaveStopped);
        Assert.True(_dumpOptions.NotifyScripts);
        Assert.Equal((int)_memory.Handle, _dumpOptions.Ps.Fd);
        Assert.Equal("dump.log", _dumpOptions.LogFile);
        Assert.Equal(["post-dump", "restore", "served"], _events);
        // Stopped before the restored copy could run, killed once every page arrived.
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _destination.Trees.Calls);
        // Both copies were guarded against this process's death from before the commit: the restored one until its last
        // page, the source's (once its lazy dump has served every page) until it was killed; the daemon from its start.
        AssertGuarded([$"guard {SourcePid} once untraced", $"guard {LazyServerHarness.RestoredPid}", $"stood down {LazyServerHarness.RestoredPid}",
                       $"stood down {SourcePid}"]);
        Assert.Equal(LazyServerHarness.RestoredPid, local.RestoredPid);
        Assert.Null(local.FinalDump);
        var report = Assert.IsType<PostCopyReport>(local.PostCopy);
        Assert.Equal(70, report.FreezeToImagesWritten!.Value.TotalMilliseconds, precision: 3);
        Assert.True(report.FreezeToResume > report.FreezeToImagesWritten + report.Restore - TimeSpan.FromMilliseconds(1));
        Assert.Equal(100UL, report.PagesTransferred);
        Assert.True(File.Exists(Path.Combine(_destination.LazyDir, "core-1.img")), "the images were not linked into the lazy iteration");
    }

    [Fact]
    public async Task ARestoreThatFails_EndsTheWaitingSourceDump_AndContinuesTheSourceTree()
    {
        // Handles: the destination's restore fails before the resume; the source's CRIU would wait for pages forever.
        _destination.RestoreFailure = new CriuException(CriuReqType.Restore, "restore failed");

        var error = await Assert.ThrowsAsync<CriuException>(
            () => Local().DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", Deadlines.Ct)).WithDeadline();

        Assert.Same(_destination.RestoreFailure, error);
        Assert.Contains("dump cancelled", _events);
        // The restore failed after the restored copy was released: its root is killed, the source's stopped copy continued.
        Assert.Equal([$"stop {SourcePid}", $"kill {LazyServerHarness.RestoredPid}", $"continue {SourcePid}"], _destination.Trees.Calls);
    }

    [Fact]
    public async Task ADaemonThatCannotStart_FailsThePostDumpNotification_AndTheSourceTreeContinues()
    {
        // Handles: criu lazy-pages dies before it listens, inside the source's post-dump notification.
        _destination.DaemonScript = "exit 3";

        await Assert.ThrowsAsync<LazyPagesDaemonException>(
            () => Local().DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", Deadlines.Ct)).WithDeadline();

        Assert.Equal(["post-dump", "post-dump failed", "dump cancelled"], _events);
        Assert.Equal([$"continue {SourcePid}"], _destination.Trees.Calls);
    }

    [Fact]
    public async Task PagesLostAfterTheResume_KillBothCopies_AndTheLossIsThrown()
    {
        // Handles: the destination's daemon fails after the resume.
        _destination.DaemonScript = $"{LazyServerHarness.Ready}; {LazyServerHarness.AwaitRestore}; exit 1";

        var lost = await Assert.ThrowsAsync<ProcessLostException>(
            () => Local().DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", Deadlines.Ct)).WithDeadline();

        Assert.Equal(LazyServerHarness.RestoredPid, lost.RestoredPid);
        Assert.Equal([$"stop {SourcePid}", $"kill {LazyServerHarness.RestoredPid}", $"kill {SourcePid}"], _destination.Trees.Calls);
        AssertGuarded([$"guard {SourcePid} once untraced", $"guard {LazyServerHarness.RestoredPid}", $"stood down {LazyServerHarness.RestoredPid}",
                       $"stood down {SourcePid}"]);
    }

    // The trees guarded as expected, and first of all the lazy-pages daemon, from its start until the iteration ended: this
    // process's death (kill -9 included) would otherwise leave it waiting for ever.
    private void AssertGuarded(IReadOnlyList<string> trees)
    {
        var daemon = LazyServerHarness.DaemonPid(_destination.LazyDir);
        var guarded = _destination.Trees.Guarded;
        Assert.Equal($"guard {daemon}", guarded[0]);
        Assert.Contains($"stood down {daemon}", guarded);
        Assert.Equal(trees, guarded.Where(entry => !entry.EndsWith($" {daemon}", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ASourceDumpThatFailsWhileServing_ShutsTheMemorySocketDown_SoTheDestinationStopsWaiting()
    {
        // Handles: the source's CRIU fails while the restored tree still needs pages (e.g. a splice error).
        _destination.Dispose();
        _destination = new LazyServerHarness(new PhaulServerOptions { PostCopyTimeout = TimeSpan.FromSeconds(2) })
        {
            DaemonScript = $"{LazyServerHarness.Ready}; sleep 30",
        };
        FailWhileServing = true;

        await Assert.ThrowsAsync<ProcessLostException>(
            () => Local().DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", Deadlines.Ct)).WithDeadline();

        Assert.Equal(0, _memoryPeer.Receive(new byte[1]));
        Assert.Contains($"kill {SourcePid}", _destination.Trees.Calls);
    }

    [Fact]
    public async Task CancellingBeforeTheResume_EndsTheSourceDump_AndTheSourceTreeContinues()
    {
        // Handles: the caller cancels while the destination restores.
        _destination.DaemonScript = $"{LazyServerHarness.Ready}; sleep 30";
        _destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
                    .Returns(async (CriuOpts _, ICriuNotify? _, CancellationToken token) =>
                    {
                        await Task.Delay(Timeout.Infinite, token);
                        return 0;
                    });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Local().DumpCopyRestoreLazilyAsync(_criu.Object, Config, "", cancel.Token)).WithDeadline();

        Assert.Equal([$"continue {SourcePid}"], _destination.Trees.Calls);
        Assert.Contains("dump cancelled", _events);
    }

    private PhaulConfig Config => new() { Pid = SourcePid, Memfd = (int)_memory.Handle, Wdir = _source.Path };

    /// <summary>The source's final stage, with the destination's lazy iteration started as the client would.</summary>
    private InProcessLocal Local()
    {
        _destination.Restoring = () => Record("restore");
        _destination.Server.StartLazyIterAsync(Deadlines.Ct).GetAwaiter().GetResult();
        return new(_destination.Server, null, null,
                   new MigrationDependencies(new Mock<IStatsSource>().Object, new FakeDirectories(), new FakeMemorySocket(), _destination.Trees));
    }

    private async Task LazyDumpAsync(CriuOpts opts, ICriuNotify notify, CancellationToken token)
    {
        _dumpOptions = opts.Clone();
        var directory = Path.Combine(_source.Path, "0");
        await File.WriteAllTextAsync(Path.Combine(directory, "core-1.img"), "core", token);
        await File.WriteAllLinesAsync(Path.Combine(directory, opts.LogFile),
                                      ["(00.100000) Seized task 4321, state 1", "(00.170000) Running post-dump scripts"], token);
        try
        {
            // Recorded before the call: the restore may start while the notification is still being answered.
            Record("post-dump");
            await notify.PostDumpAsync();
        }
        catch (Exception)
        {
            // CRIU's lazy page server still waits for a client after a failed post-dump notification.
            Record("post-dump failed");
            await WaitUntilCancelledAsync(token);
        }
        await ServeAsync(token);
    }

    private async Task ServeAsync(CancellationToken token)
    {
        var daemon = LazyServerHarness.DaemonPid(_destination.LazyDir);
        while (File.Exists($"/proc/{daemon}/stat") && !File.ReadAllText($"/proc/{daemon}/stat").Contains(") Z", StringComparison.Ordinal))
        {
            if (FailWhileServing && File.Exists(Path.Combine(_destination.LazyDir, "restored")))
                throw new CriuException(CriuReqType.Dump, "page-pipe: splice failed");
            if (token.IsCancellationRequested)
                await WaitUntilCancelledAsync(token);
            await Task.Delay(10, CancellationToken.None);
        }
        Record("served");
    }

    private async Task WaitUntilCancelledAsync(CancellationToken token)
    {
        await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);
        Record("dump cancelled");
        throw new OperationCanceledException("CRIU Dump was cancelled", token);
    }

    private void Record(string what)
    {
        lock (_events)
            _events.Add(what);
    }

    private static (Socket, Socket) Pair()
    {
        var path = Path.Combine(Path.GetTempPath(), $"phaul-test-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var one = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        one.Connect(new UnixDomainSocketEndPoint(path));
        var other = listener.Accept();
        File.Delete(path);
        return (one, other);
    }

    public void Dispose()
    {
        _destination.Dispose();
        _memory.Dispose();
        _memoryPeer.Dispose();
        _source.Dispose();
    }
}
