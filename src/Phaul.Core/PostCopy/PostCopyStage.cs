using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// One post-copy final stage, for a destination in this process (<see cref="InProcessLocal"/>) or across
/// the network (Phaul.Transport): <see cref="ILazyDestination"/>. The order is forced by CRIU: the restore
/// touches lazy memory (e.g. the rseq area) and the source's CRIU serves pages only after its post-dump
/// notification returned, so the notification only starts the destination's daemon, and the restore runs
/// after it. The source dump keeps the tree frozen until every page was served and then leaves it
/// stopped (<c>leave_stopped</c>), so that its fate is Phaul's to decide:
/// <list type="bullet">
/// <item>any failure before the destination resumed the tree: the source's CRIU is killed (it would wait
/// for a lazy client forever) and the tree continued (SIGCONT): it runs on the source as before;</item>
/// <item>after the resume: every page arrived, or the process is lost (<see cref="ProcessLostException"/>);
/// either way the source's copy is killed, since the destination ran on from it.</item>
/// </list>
/// A source dump that fails while serving pages shuts the memory socket down, so that the destination's
/// daemon fails at once instead of waiting for pages that cannot come.
/// </summary>
internal sealed partial class PostCopyStage : IDisposable
{
    private const string DumpLogFile = "dump.log";

    // After the last page the source's CRIU ends at once; this bounds a CRIU that does not.
    private static readonly TimeSpan SourceExitGrace = TimeSpan.FromSeconds(10);

    private readonly ILazyDestination _destination;
    private readonly InProcessLocalOptions _options;
    private readonly ILogger _logger;
    private readonly MigrationDependencies _dependencies;
    private readonly PhaulConfig _config;
    private readonly string _directory;
    private readonly CancellationTokenSource _killDump = new();

    // From the commit on, the source's copy is stale: should this process die, it must not be left stopped with its memory.
    private IDisposable? _sourceGuard;
    private readonly Timeline _timeline = new();
    private volatile bool _pagesArrived;

    // Pages are owed only from the post-dump notification on, when the destination's daemon starts to ask for them;
    // a dump that fails before it (e.g. on an established TCP connection) owes nothing, and its own error is the cause.
    private volatile bool _pagesOwed;
    private string? _dumpLog;

    public PostCopyStage(ILazyDestination destination, InProcessLocalOptions options, ILogger logger, MigrationDependencies dependencies,
                             PhaulConfig config, string directory)
    {
        _destination = destination;
        _options = options;
        _logger = logger;
        _dependencies = dependencies;
        _config = config;
        _directory = directory;
    }

    public int? RestoredPid { get; private set; }

    public LazyPagesStatistics? Pages { get; private set; }

    /// <summary>Runs the stage; see the class remarks for what each failure leaves behind.</summary>
    public async Task RunAsync(ICriu criu, string lastClientImagesPath, CancellationToken cancellationToken)
    {
        var onPostDump = new StartDestinationOnPostDump(this, cancellationToken);
        using var images = _dependencies.Directories.Open(_directory);
        var opts = DumpOptions(images.Fd, lastClientImagesPath);
        _logger.LazyDumpStarting(_config.Pid, _directory, lastClientImagesPath);
        var dump = criu.DumpAsync(opts, onPostDump, _killDump.Token);
        _ = dump.ContinueWith(OnSourceDumpEnded, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
                              TaskScheduler.Default);

        await WaitForDaemonAsync(dump, onPostDump, cancellationToken).ConfigureAwait(false);
        try
        {
            RestoredPid = await RestoreAsync(dump, cancellationToken).ConfigureAwait(false);
            Pages = await _destination.WaitForPagesAsync(CancellationToken.None).ConfigureAwait(false);
            Report(new(MigrationProgressKind.AllPagesArrived) { Pages = Pages?.PagesTransferred, PagesOnDemand = Pages?.PagesOnDemand });
        }
        catch (ProcessLostException lost)
        {
            Report(new(MigrationProgressKind.ProcessLost) { Pid = lost.RestoredPid, Detail = lost.Reason });
            await KillSourceAsync(dump, lost.Message).ConfigureAwait(false);
            throw;
        }
        catch (Exception failure) when (RestoredPid is { } pid)
        {
            // The tree runs on the destination and its pages could not all follow: whatever broke, it is lost.
            var lost = new ProcessLostException(pid, $"waiting for its pages failed: {failure.Message.TrimEnd('.')}", failure);
            Report(new(MigrationProgressKind.ProcessLost) { Pid = pid, Detail = lost.Reason });
            await KillSourceAsync(dump, lost.Message).ConfigureAwait(false);
            throw lost;
        }
        _pagesArrived = true;
        await EndSourceAfterSuccessAsync(dump).ConfigureAwait(false);
    }

    /// <summary>The report of a stage that succeeded, with CRIU's dump log placing the freeze before the post-dump notification.</summary>
    public async Task<PostCopyReport> ReportAsync()
    {
        var freezeToImagesWritten = _dumpLog is null ? null : await DumpLogTimes.FreezeToPostDumpAsync(_dumpLog).ConfigureAwait(false);
        return _timeline.Report(freezeToImagesWritten, Pages);
    }

    private CriuOpts DumpOptions(int imagesFd, string lastClientImagesPath)
    {
        var opts = new CriuOpts
        {
            Pid = _config.Pid,
            ImagesDirFd = imagesFd,
            LogLevel = _options.CriuLogLevel,
            LogFile = DumpLogFile,
            Ps = new CriuPageServerInfo { Fd = _config.Memfd },
            LazyPages = true,
            LeaveStopped = true,
            NotifyScripts = true,
        };
        if (lastClientImagesPath.Length > 0)
        {
            opts.ParentImg = Path.GetRelativePath(_directory, lastClientImagesPath);
            opts.TrackMem = true;
        }
        CriuOptionsTemplate.ApplyTo(opts, _options.CriuOptions);
        _options.ConfigureDump?.Invoke(opts);
        _dumpLog = opts is { HasLogFile: true, HasWorkDirFd: false } ? Path.Combine(_directory, opts.LogFile) : null;
        return opts;
    }

    /// <summary>Until the destination's daemon listens; on any failure the source tree runs again.</summary>
    private async Task WaitForDaemonAsync(Task dump, StartDestinationOnPostDump onPostDump, CancellationToken cancellationToken)
    {
        try
        {
            // A failed notification fails the dump too: its own error, in Ready, is the one to report.
            if (await Task.WhenAny(onPostDump.Ready, dump).WaitAsync(cancellationToken).ConfigureAwait(false) == dump
                && !onPostDump.Ready.IsCompleted)
            {
                await dump.ConfigureAwait(false);
                _logger.PostDumpNeverCame(_config.Pid, _directory);
                throw new InvalidOperationException(
                    $"CRIU dumped pid {_config.Pid} lazily without its post-dump notification, so nothing was restored; the images are in '{_directory}'.");
            }
            await onPostDump.Ready.ConfigureAwait(false);
        }
        catch (Exception failure)
        {
            await ResumeSourceAsync(dump, failure).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Restores on the destination; a restore that fails leaves the tree running on the source.</summary>
    private async Task<int> RestoreAsync(Task dump, CancellationToken cancellationToken)
    {
        _timeline.RestoreStarted();
        // Armed before the commit can leave; it waits for the lazy dump to have served every page before it kills.
        _sourceGuard = _dependencies.Trees.GuardAgainstOurDeath(_config.Pid, onceUntraced: true);
        try
        {
            var pid = await _destination.RestoreAsync(cancellationToken).ConfigureAwait(false);
            _timeline.Resumed();
            _logger.Restored(_config.Pid, pid);
            Report(new(MigrationProgressKind.Restored) { Pid = pid });
            return pid;
        }
        catch (Exception failure) when (failure is not ProcessLostException)
        {
            _logger.RestoreFailed(_config.Pid, failure);
            StandDownSourceGuard();
            await ResumeSourceAsync(dump, failure).ConfigureAwait(false);
            throw;
        }
    }

    private void Report(MigrationProgress progress) => _options.Progress.ReportSafely(progress, _logger);

    private async Task ResumeSourceAsync(Task dump, Exception cause)
    {
        // Killing CRIU detaches it from the tree; a tree it left stopped needs SIGCONT.
        await _killDump.CancelAsync().ConfigureAwait(false);
        await EndedAsync(dump).ConfigureAwait(false);
        var continued = _dependencies.Trees.Continue(_config.Pid);
        _logger.SourceResumed(_config.Pid, continued, cause.Message);
        Report(new(MigrationProgressKind.SourceResumed) { Detail = cause.Message });
    }

    private async Task KillSourceAsync(Task dump, string why)
    {
        // Kill before CRIU goes: CRIU's death would let the tree run.
        var killed = _dependencies.Trees.Kill(_config.Pid);
        await _killDump.CancelAsync().ConfigureAwait(false);
        await EndedAsync(dump).ConfigureAwait(false);
        StandDownSourceGuard();
        _logger.SourceKilled(_config.Pid, killed, why);
        Report(new(MigrationProgressKind.SourceKilled) { Detail = why });
    }

    private void StandDownSourceGuard()
    {
        _sourceGuard?.Dispose();
        _sourceGuard = null;
    }

    private async Task EndSourceAfterSuccessAsync(Task dump)
    {
        var ended = await Task.WhenAny(dump, Task.Delay(SourceExitGrace)).ConfigureAwait(false) == dump;
        if (!ended || !dump.IsCompletedSuccessfully)
            _logger.SourceDumpEndedBadly(_config.Pid, ended ? dump.Exception?.InnerException : null);
        await KillSourceAsync(dump, "every page is on the destination").ConfigureAwait(false);
    }

    private void OnSourceDumpEnded(Task dump)
    {
        if (dump.IsCompletedSuccessfully || _killDump.IsCancellationRequested || _pagesArrived || !_pagesOwed)
            return;
        _logger.SourceDumpFailedWhileServing(_config.Pid, dump.Exception?.InnerException);
        _ = Interop.Shutdown(_config.Memfd, Interop.SHUT_RDWR);
    }

    private static async Task EndedAsync(Task dump)
    {
        try
        {
            await dump.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The stage's own failure is the one to report; how the killed dump ended is not.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task StartDestinationAsync(CancellationToken cancellationToken)
    {
        _timeline.ImagesWritten();
        _pagesOwed = true;
        await _destination.StartAsync(_directory, cancellationToken).ConfigureAwait(false);
        _timeline.DaemonReady();
    }

    public void Dispose()
    {
        StandDownSourceGuard();
        _killDump.Dispose();
    }

    /// <summary>Runs inside CRIU's post-dump notification: the tree is frozen and its images (without its memory) are written.</summary>
    private sealed class StartDestinationOnPostDump(PostCopyStage stage, CancellationToken cancellationToken) : CriuNotifyBase
    {
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once the destination's daemon listens; faults when starting it failed.</summary>
        public Task Ready => _ready.Task;

        public override async Task PostDumpAsync()
        {
            try
            {
                await stage.StartDestinationAsync(cancellationToken).ConfigureAwait(false);
                _ready.TrySetResult();
            }
            catch (Exception failure)
            {
                _ready.TrySetException(failure);
                throw;
            }
        }
    }
}
