using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

/// <summary>
/// A <see cref="PhaulClient"/> over mocked CRIU, remote, local and statistics, recording every call in
/// order and tracking whether the destination's page server is running. Failures are injected per step.
/// </summary>
internal sealed class LoopHarness : IDisposable
{
    private readonly TempDirectory _wdir = new();
    private int _starts;
    private int _stops;
    private int _preDumps;

    public LoopHarness()
    {
        MemorySocket = new FakeMemorySocket(fd => Calls.Add($"end-stream {fd}"));
        Criu.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>()))
            .Returns((CriuFeatures asked, CancellationToken _) =>
            {
                Calls.Add("feature-check");
                Assert.True(asked.MemTrack);
                return Task.FromResult(new CriuFeatures { MemTrack = MemTrack });
            });
        Criu.Setup(c => c.PreDumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns((CriuOpts opts, ICriuNotify? _, CancellationToken token) => PreDump(opts, token));
        Remote.Setup(r => r.StartIterAsync(It.IsAny<long>(), It.IsAny<CancellationToken>())).Returns(Start);
        Remote.Setup(r => r.StopIterAsync(It.IsAny<CancellationToken>()))
              .Returns((CancellationToken token) => Stop(token));
        Local.Setup(l => l.DumpCopyRestoreAsync(It.IsAny<ICriu>(), It.IsAny<PhaulConfig>(), It.IsAny<string>(), It.IsAny<CancellationToken>()))
             .Returns((ICriu criu, PhaulConfig config, string last, CancellationToken token) => Final(criu, config, last, token));
        StatsSource.Setup(s => s.ReadDumpStatsAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
                   .Returns((string directory, CancellationToken _) =>
                   {
                       Assert.True(File.Exists(Path.Combine(directory, "pre-dump-ran")), "stats read before the pre-dump ran");
                       return Task.FromResult(DumpStats.Count > 0 ? DumpStats.Dequeue() : null);
                   });
    }

    public Mock<ICriu> Criu { get; } = new();
    public Mock<IPhaulRemote> Remote { get; } = new();
    public Mock<IPhaulLocal> Local { get; } = new();
    public Mock<IStatsSource> StatsSource { get; } = new();
    public FakeDirectories Directories { get; } = new();
    public FakeMemorySocket MemorySocket { get; }

    public List<string> Calls { get; } = [];
    public List<CriuOpts> PreDumpOptions { get; } = [];
    public List<CancellationToken> StopTokens { get; } = [];
    public Queue<DumpStatsEntry?> DumpStats { get; } = new();
    public bool MemTrack { get; set; } = true;
    public bool PageServerRunning { get; private set; }
    public string Wdir => _wdir.Path;
    public PhaulConfig Config => new() { Pid = 4321, Memfd = 9, Wdir = Wdir };

    public int? FailStartAt { get; set; }
    public int? FailPreDumpAt { get; set; }
    public int? FailStopAt { get; set; }
    public bool FailFinal { get; set; }
    public bool FailStopAfterFailure { get; set; }

    /// <summary>Runs inside the pre-dump (after the failure check), e.g. to cancel.</summary>
    public Func<CancellationToken, Task>? DuringPreDump { get; set; }

    public Func<CancellationToken, Task>? DuringFinal { get; set; }

    /// <summary>Hooks to run; with any, the final stage dumps through the CRIU it was given, as a real local does.</summary>
    public IReadOnlyList<IMigrationHook> Hooks { get; set; } = [];

    /// <summary>The pre-freeze check of the tree; default: every pid passes.</summary>
    public Func<int, TreeVerdict> TreeCheck { get; set; } = _ => TreeVerdict.Dumpable;

    // stopRules: options whose pre-copy stop rules to use; null for the defaults.
    public PhaulClient Client(MigrationStrategy strategy = MigrationStrategy.Auto, PhaulClientOptions? stopRules = null, bool allowFallback = true) =>
        PhaulClient.Create(Local.Object, Remote.Object, Config,
                           (stopRules ?? new()) with
                           {
                               Strategy = strategy, AllowFallback = allowFallback, CriuFactory = () => Criu.Object,
                               Hooks = Hooks,
                           },
                           null, new MigrationDependencies(StatsSource.Object, Directories, MemorySocket) { TreeCheck = TreeCheck });

    private Task Start()
    {
        Calls.Add("start");
        if (_starts++ == FailStartAt)
            throw new IOException("start failed");
        Assert.False(PageServerRunning, "StartIter while a page server runs");
        PageServerRunning = true;
        return Task.CompletedTask;
    }

    private Task Stop(CancellationToken token)
    {
        Calls.Add("stop");
        StopTokens.Add(token);
        Assert.True(PageServerRunning, "StopIter without a running page server");
        PageServerRunning = false;
        var stop = _stops++;
        if (stop == FailStopAt || (FailStopAfterFailure && Calls.Contains("failed")))
            throw new IOException("stop failed");
        return Task.CompletedTask;
    }

    private async Task PreDump(CriuOpts opts, CancellationToken token)
    {
        var iteration = _preDumps++;
        Calls.Add($"pre-dump {iteration}");
        PreDumpOptions.Add(opts.Clone());
        Assert.True(PageServerRunning, "pre-dump without a page server");
        if (iteration == FailPreDumpAt)
        {
            Calls.Add("failed");
            throw new CriuException(CriuReqType.PreDump, "pre-dump failed");
        }
        if (DuringPreDump is not null)
            await DuringPreDump(token);
        await File.WriteAllTextAsync(Path.Combine(Wdir, $"{iteration}", "pre-dump-ran"), "", token);
    }

    private async Task Final(ICriu criu, PhaulConfig config, string last, CancellationToken token)
    {
        if (Hooks.Count > 0)
        {
            await FinalThroughDumpAsync(criu, last, token);
            return;
        }
        Assert.Same(Criu.Object, criu);
        Assert.Equal(4321, config.Pid);
        Calls.Add("final " + (last.Length == 0 ? "-" : Path.GetRelativePath(Wdir, last)));
        Assert.True(PageServerRunning, "final stage without a page server");
        if (DuringFinal is not null)
            await DuringFinal(token);
        if (FailFinal)
        {
            Calls.Add("failed");
            throw new CriuException(CriuReqType.Dump, "dump failed");
        }
    }

    // The local dumps with its own post-dump notification; the mocked CRIU sends it, and a failing
    // notification fails the dump with the tree resumed, as CRIU does.
    private async Task FinalThroughDumpAsync(ICriu criu, string last, CancellationToken token)
    {
        Calls.Add("final " + (last.Length == 0 ? "-" : Path.GetRelativePath(Wdir, last)));
        Criu.Setup(c => c.DumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns(async (CriuOpts opts, ICriuNotify? notify, CancellationToken _) =>
            {
                Calls.Add("dump");
                Assert.True(opts.NotifyScripts);
                try
                {
                    await notify!.PostDumpAsync();
                }
                catch (Exception e)
                {
                    Calls.Add("dump failed, tree resumed");
                    throw new CriuException(CriuReqType.Dump, $"notify failed: {e.Message}");
                }
            });
        await criu.DumpAsync(new CriuOpts { Pid = 4321 }, new RecordingNotify(Calls), token);
    }

    private sealed class RecordingNotify(List<string> calls) : CriuNotifyBase
    {
        public override Task PostDumpAsync()
        {
            calls.Add("local post-dump");
            return Task.CompletedTask;
        }
    }

    public void Dispose() => _wdir.Dispose();
}
