using Moq;
using Phaul.Core.Tests.Fakes;
using Phaul.Core.Tests.Migration;
using Phaul.Rpc;

namespace Phaul.Core.Tests.PostCopy;

/// <summary>
/// A <see cref="PhaulServer"/> with a mocked CRIU for restores and a shell script standing in for
/// <c>criu lazy-pages</c>: the script is a real child process on the real fds, so readiness, exit status,
/// deadlines and kills run for real. It records its pid and arguments in its directory, and by default
/// gets ready, waits for the mocked restore, logs a page fault and a full transfer, and exits 0.
/// </summary>
internal sealed class LazyServerHarness : IDisposable
{
    public const int RestoredPid = 4242;

    public const string Ready = "printf x >&4";
    public const string AwaitRestore = "while [ ! -e \"$dir/restored\" ]; do sleep 0.01; done";
    public const string Transfer =
        "echo '(00.100000) uffd: 1-12: #PF at 0x7f0000001000' >> \"$log\"; " +
        "echo '(00.200000) uffd: 1-12: UFFD transferred pages: (100/100)' >> \"$log\"";

    private readonly TempDirectory _root = new();
    private readonly FileStream _memory;
    private readonly FakeCriuBinary _daemon;
    private readonly string _scriptPath;

    public LazyServerHarness(PhaulServerOptions? options = null)
    {
        Wdir = _root.Sub("destination");
        _memory = File.Open(_root.Sub("memory") + "/socket-stand-in", FileMode.Create);
        _scriptPath = Path.Combine(_root.Path, "daemon-script.sh");
        _daemon = new FakeCriuBinary(
            "args=\"$*\"; while [ $# -gt 0 ]; do case \"$1\" in -D) dir=\"$2\"; shift;; -o) logname=\"$2\"; shift;; esac; shift; done\n" +
            "log=\"$dir/$logname\"; echo $$ > \"$dir/daemon-pid\"; echo \"$args\" > \"$dir/daemon-args\"; " +
            "readlink /proc/$$/fd/3 > \"$dir/daemon-fd3\"\n" + $". '{_scriptPath}'");
        DaemonScript = $"{Ready}; {AwaitRestore}; {Transfer}; exit 0";
        Criu.Setup(c => c.ResolveBinary()).Returns(_daemon.Path);
        Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns((CriuOpts opts, ICriuNotify? notify, CancellationToken _) => Restore(opts, notify));
        Criu.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((CriuFeatures asked, CancellationToken _) => new CriuFeatures { LazyPages = asked.LazyPages && LazyPagesSupported });
        var given = options ?? new PhaulServerOptions();
        Server = PhaulServer.Create(new PhaulConfig { Memfd = MemoryFd, Wdir = Wdir },
                                    new PhaulServerOptions
                                    {
                                        CriuFactory = () => Criu.Object,
                                        LazyPagesStartTimeout = given.LazyPagesStartTimeout,
                                        PostCopyTimeout = given.PostCopyTimeout,
                                    },
                                    null, new MigrationDependencies(new Mock<IStatsSource>().Object, Directories, new FakeMemorySocket(), Trees));
    }

    public string Wdir { get; }

    public int MemoryFd => (int)_memory.SafeFileHandle.DangerousGetHandle();

    /// <summary>The server's CRIU; its binary is the fake daemon.</summary>
    public Mock<ILocalCriu> Criu { get; } = new();

    public FakeDirectories Directories { get; } = new();

    public RecordingTrees Trees { get; } = new();

    public PhaulServer Server { get; }

    public bool LazyPagesSupported { get; set; } = true;

    /// <summary>The daemon's script body; <c>$dir</c> is its images directory, <c>$log</c> its log.</summary>
    public string DaemonScript
    {
        get => File.ReadAllText(_scriptPath);
        set => File.WriteAllText(_scriptPath, value + "\n");
    }

    /// <summary>The fake binary: records its pid, arguments and fd 3, then runs <see cref="DaemonScript"/>.</summary>
    public string CriuPath => _daemon.Path;

    public List<CriuOpts> RestoreOptions { get; } = [];

    /// <summary>Runs when the mocked restore starts.</summary>
    public Action? Restoring { get; set; }

    /// <summary>Makes the mocked restore fail (after CRIU reported the root's pid, as CRIU does in a late failure).</summary>
    public Exception? RestoreFailure { get; set; }

    public string LazyDir => Path.Combine(Wdir, "0");

    public static int DaemonPid(string directory) => int.Parse(File.ReadAllText(Path.Combine(directory, "daemon-pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private async Task<int> Restore(CriuOpts opts, ICriuNotify? notify)
    {
        RestoreOptions.Add(opts.Clone());
        Restoring?.Invoke();
        Assert.NotNull(notify);
        await notify.PostRestoreAsync(RestoredPid);
        if (RestoreFailure is not null)
            throw RestoreFailure;
        await notify.PostResumeAsync();
        await File.WriteAllTextAsync(Path.Combine(Directory.GetDirectories(Wdir).Order().Last(), "restored"), "");
        return RestoredPid;
    }

    public void Dispose()
    {
        Server.Dispose();
        _memory.Dispose();
        _daemon.Dispose();
        _root.Dispose();
    }
}

/// <summary>Records the trees Phaul would signal instead of signalling anything.</summary>
internal sealed class RecordingTrees : IProcessTrees
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
                return [.. _calls];
        }
    }

    public int Kill(int root)
    {
        lock (_calls)
            _calls.Add($"kill {root}");
        return 1;
    }

    public int Continue(int root)
    {
        lock (_calls)
            _calls.Add($"continue {root}");
        return 1;
    }

    public int Stop(int root)
    {
        lock (_calls)
            _calls.Add($"stop {root}");
        return 1;
    }

    /// <summary>Guards are not recorded among the signals; <see cref="Guarded"/> lists the roots, and which were stood down.</summary>
    public IDisposable GuardAgainstOurDeath(int root, bool onceUntraced = false)
    {
        lock (_calls)
            _guarded.Add(onceUntraced ? $"guard {root} once untraced" : $"guard {root}");
        return new Standing(this, root);
    }

    private readonly List<string> _guarded = [];

    public IReadOnlyList<string> Guarded
    {
        get
        {
            lock (_calls)
                return [.. _guarded];
        }
    }

    private sealed class Standing(RecordingTrees trees, int root) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                lock (trees._calls)
                    trees._guarded.Add($"stood down {root}");
        }
    }
}
