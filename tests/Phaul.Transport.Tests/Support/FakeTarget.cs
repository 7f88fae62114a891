using System.Collections.Concurrent;
using Moq;
using Phaul.Rpc;

namespace Phaul.Transport.Tests.Support;

/// <summary>A PhaulServer stand-in: iteration directories Wdir/0, 1, ... and a log of the calls it got.</summary>
internal sealed class FakeTarget : IMigrationTarget
{
    private int _iterations;

    public FakeTarget(PhaulConfig config, ICriu criu)
    {
        Config = config;
        Criu = criu;
    }

    public PhaulConfig Config { get; }

    public ICriu Criu { get; }

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>Thrown by the next StartIter, if set.</summary>
    public Exception? StartFailure { get; set; }

    /// <summary>Thrown by the next StopIter, if set.</summary>
    public Exception? StopFailure { get; set; }

    /// <summary>StartIter waits for this task, if set.</summary>
    public Task? StartDelay { get; set; }

    public bool Disposed { get; private set; }

    public string LastImagesDir { get; private set; } = "";

    /// <summary>The expected bytes each StartIter was told, in order.</summary>
    public ConcurrentQueue<long> ExpectedBytes { get; } = new();

    public Task StartIterAsync(CancellationToken cancellationToken = default) => StartIterAsync(0, cancellationToken);

    public async Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("StartIter");
        ExpectedBytes.Enqueue(expectedBytes);
        if (StartDelay is { } delay)
            await delay.WaitAsync(cancellationToken);
        if (StartFailure is { } failure)
            throw failure;
        LastImagesDir = CreateIterationDirectory();
    }

    public Task StopIterAsync(CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("StopIter");
        return StopFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    /// <summary>What CheckPostCopy answers: why post-copy cannot run, or null when it can.</summary>
    public string? PostCopyObstacle { get; set; }

    /// <summary>Thrown by StartLazyPages, if set.</summary>
    public Exception? LazyPagesFailure { get; set; }

    /// <summary>What RestoreLazily does: the restored pid, or a failure. Default: pid 4343.</summary>
    public Func<CriuOpts, Task<int>> LazyRestore { get; set; } = _ => Task.FromResult(4343);

    /// <summary>What WaitForLazyPages answers; complete it to let the pages arrive.</summary>
    public TaskCompletionSource<LazyPagesStatistics> Pages { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<string?> WhyPostCopyUnavailableAsync(CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("CheckPostCopy");
        return Task.FromResult(PostCopyObstacle);
    }

    public Task StartLazyIterAsync(CancellationToken cancellationToken = default)
    {
        Calls.Enqueue("StartLazyIter");
        LastImagesDir = CreateIterationDirectory();
        return Task.CompletedTask;
    }

    public Task StartLazyPagesAsync(CancellationToken cancellationToken)
    {
        Calls.Enqueue($"StartLazyPages({string.Join(",", Directory.GetFiles(LastImagesDir).Select(Path.GetFileName).Order(StringComparer.Ordinal))})");
        return LazyPagesFailure is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    /// <summary>Complete it to end the running iteration's page server (with a failure, or null for success).</summary>
    public TaskCompletionSource<CriuException?> PageServerEnded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<CriuException?> PageServerFailureAsync(CancellationToken cancellationToken) => PageServerEnded.Task.WaitAsync(cancellationToken);

    /// <summary>Runs once the lazily restored tree was let run, before the restore returns (tests hold the answer back here).</summary>
    public Func<Task>? AfterResume { get; set; }

    public async Task<int> RestoreLazilyAsync(CriuOpts opts, Func<int, Task> beforeResume, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"RestoreLazily({opts.LogFile})");
        var pid = await GatedRestore.RunAsync(beforeResume, await LazyRestore(opts));
        if (AfterResume is not null)
            await AfterResume();
        return pid;
    }

    public Task<LazyPagesStatistics> WaitForLazyPagesAsync(CancellationToken cancellationToken)
    {
        Calls.Enqueue("WaitForLazyPages");
        return Pages.Task.WaitAsync(cancellationToken);
    }

    /// <summary>What the destination reports of its memory accounting with the post-copy check; null: it could not read it.</summary>
    public DestinationMemory? Memory { get; set; }

    public DestinationMemory? ReadDestinationMemory() => Memory;

    public int KillRestoredTree(int root)
    {
        Calls.Enqueue($"KillRestoredTree({root})");
        return 1;
    }

    public void Dispose() => Disposed = true;

    // As PhaulServer's: Wdir/N, with a parent link to Wdir/N-1 after the first.
    private string CreateIterationDirectory()
    {
        var iteration = _iterations++;
        var directory = Directory.CreateDirectory(Path.Combine(Config.Wdir, iteration.ToString(System.Globalization.CultureInfo.InvariantCulture))).FullName;
        if (iteration > 0)
            File.CreateSymbolicLink(Path.Combine(directory, "parent"), IterationDirectories.ParentOf(iteration));
        return directory;
    }
}

/// <summary>A destination on loopback whose sessions get <see cref="FakeTarget"/>s.</summary>
internal sealed class FakeDestination : IAsyncDisposable
{
    private readonly TaskCompletionSource<MigrationSessionEndedEventArgs> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeDestination(PreSharedKey key, int maxConnections = 16,
                           bool keepImages = false, bool keepFailed = false, string? wdir = null,
                           Func<MigrationListenerOptions, MigrationListenerOptions>? configure = null)
    {
        var options = new MigrationListenerOptions
        {
            EndPoint = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
            Wdir = wdir ?? Wdir.Path,
            KeepFailed = keepFailed,
            Key = key,
            MaxConnections = maxConnections,
            KeepImages = keepImages,
        };
        var services = new DestinationServices(CreateTarget, (_, _) => Task.FromResult(RestoreStats));
        Listener = MigrationListener.Start(configure?.Invoke(options) ?? options, LoggerFactory, services);
        Listener.SessionEnded += (_, e) => _ended.TrySetResult(e);
    }

    public TempDirectory Wdir { get; } = new();

    /// <summary>What the listener logged.</summary>
    public RecordingLoggerFactory LoggerFactory { get; } = new();

    public MigrationListener Listener { get; }

    public Mock<ICriu> Criu { get; } = new();

    public Phaul.Rpc.RestoreStatsEntry RestoreStats { get; set; } = new() { PagesCompared = 1, PagesSkippedCow = 2, ForkingTime = 3, RestoreTime = 4, PagesRestored = 5 };

    public ConcurrentQueue<FakeTarget> Targets { get; } = new();

    /// <summary>Applied to each new target before the session uses it.</summary>
    public Action<FakeTarget>? Configure { get; set; }

    public Task<MigrationSessionEndedEventArgs> SessionEnded => _ended.Task;

    /// <summary>The signals the source side would have sent to its tree (whose pids the tests make up).</summary>
    public RecordedTrees SourceTrees { get; } = new();

    /// <summary>Connects a source whose tree signals are recorded in <see cref="SourceTrees"/> unless the options bring their own.</summary>
    public Task<MigrationConnection> ConnectAsync(PreSharedKey key, MigrationConnectionOptions? options = null)
    {
        options ??= MigrationConnectionOptions.Default;
        if (options.Dependencies.Trees is ProcessTrees)
            options = options with { Dependencies = options.Dependencies with { Trees = SourceTrees } };
        return MigrationConnection.ConnectAsync(Listener.LocalEndPoint, key, options, cancellationToken: TestContext.Current.CancellationToken);
    }

    private FakeTarget CreateTarget(PhaulConfig config)
    {
        var target = new FakeTarget(config, Criu.Object);
        Configure?.Invoke(target);
        Targets.Enqueue(target);
        return target;
    }

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        Wdir.Dispose();
    }
}
