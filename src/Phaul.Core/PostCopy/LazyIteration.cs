using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The destination's side of a post-copy final iteration: the images directory, the lazy-pages daemon
/// serving the restored tree its memory, and the restored tree itself until all of its pages arrived.
/// If the daemon fails after the restore, the tree is killed at once: without its daemon the kernel
/// fills the pages it has not got yet with zeros. Should this process die before every page arrived,
/// a <see cref="TreeDeathGuard"/>, armed before the tree may resume, kills it; another, armed at its start, kills the daemon.
/// </summary>
internal sealed class LazyIteration : IDisposable
{
    private readonly ILogger _logger;
    private readonly IProcessTrees _trees;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _abandon = new();
    private LazyPagesDaemon? _daemon;
    private Task<LazyPagesStatistics>? _completion;
    private int? _restoredPid;
    private long _resumedAt;
    private long _lastPageAt;
    private TimeSpan _restoreTime;
    private bool _daemonFailed;
    private IDisposable? _guard;
    private IDisposable? _daemonGuard;

    public LazyIteration(int iteration, string directory, ILogger logger, IProcessTrees trees)
    {
        Iteration = iteration;
        Directory = directory;
        _logger = logger;
        _trees = trees;
    }

    public int Iteration { get; }

    public string Directory { get; }

    /// <summary>The restored tree's root, once the restore returned (the tree runs).</summary>
    public int? RestoredPid
    {
        get
        {
            lock (_lock)
                return _restoredPid;
        }
    }

    /// <summary>Completes when every page has arrived; faults when the daemon failed (with the tree killed, if restored).</summary>
    public Task<LazyPagesStatistics> Completion =>
        _completion ?? throw new InvalidOperationException("The lazy-pages daemon has not been started: call StartLazyPagesAsync first.");

    /// <summary>Waits for <see cref="Completion"/>, then adds the restore's timing as known now.</summary>
    public async Task<LazyPagesStatistics> StatisticsAsync(CancellationToken cancellationToken)
    {
        var pages = await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_restoredPid is null)
                return pages;
            // Pages that all came before CRIU's post-resume notification arrived by the resume.
            var lastPage = _lastPageAt > _resumedAt ? Stopwatch.GetElapsedTime(_resumedAt, _lastPageAt) : TimeSpan.Zero;
            return pages with { RestoreTime = _restoreTime, LastPageAfterResume = lastPage };
        }
    }

    /// <summary>Starts the daemon on <see cref="Directory"/> and waits until it listens for the restore.</summary>
    public async Task StartDaemonAsync(string criuPath, int memfd, int logLevel, TimeSpan readyTimeout, TimeSpan pagesTimeout,
                                       CancellationToken cancellationToken)
    {
        if (_daemon is not null)
            throw new InvalidOperationException($"The lazy-pages daemon of iteration {Iteration} was started already.");
        var started = Stopwatch.GetTimestamp();
        _daemon = LazyPagesDaemon.Start(criuPath, memfd, Directory, logLevel);
        GuardDaemonAgainstOurDeath(_daemon);
        await _daemon.WaitUntilListeningAsync(readyTimeout, cancellationToken).ConfigureAwait(false);
        var startTime = Stopwatch.GetElapsedTime(started);
        _logger.LazyPagesDaemonListening(Iteration, _daemon.Pid, Directory, startTime);
        _completion = WatchAsync(_daemon, pagesTimeout);
    }

    /// <summary>Restores the tree with lazy pages; once this returns, the tree runs here and depends on the daemon.</summary>
    /// <exception cref="ProcessLostException">The daemon had failed by the time the restore returned; the tree was killed.</exception>
    public async Task<int> RestoreAsync(ICriu criu, CriuOpts opts, Func<int, Task>? beforeResume, CancellationToken cancellationToken)
    {
        _ = Completion;
        var root = new RestoredRoot(async pid =>
        {
            GuardAgainstOurDeath(pid);
            if (beforeResume is not null)
                await beforeResume(pid).ConfigureAwait(false);
        });
        var started = Stopwatch.GetTimestamp();
        int pid;
        try
        {
            pid = await criu.RestoreAsync(opts, root, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (root.Pid is { } halfRestored)
        {
            // CRIU kills what it restored when it fails, but not when it is killed (cancelled): its tree would hang forever.
            _trees.Kill(halfRestored);
            StandDownGuard();
            throw;
        }
        bool daemonFailed;
        lock (_lock)
        {
            _restoredPid = pid;
            // The page transfer starts at the resume; the RPC's answer comes after CRIU's post-resume round trip.
            _resumedAt = root.ResumedAt ?? Stopwatch.GetTimestamp();
            _restoreTime = Stopwatch.GetElapsedTime(started, _resumedAt);
            daemonFailed = _daemonFailed;
        }
        _logger.LazyRestoreResumed(Iteration, pid);
        if (daemonFailed)
            throw Lost(pid, "its lazy-pages daemon had already failed", _completion!.Exception?.InnerException);
        return pid;
    }

    /// <summary>
    /// Ends the iteration now unless every page arrived: kills the daemon, whose watch then kills the
    /// restored tree, if any.
    /// </summary>
    public void Abandon(string why)
    {
        if (_completion is { IsCompletedSuccessfully: true })
            return;
        _logger.LazyIterationAbandoned(Iteration, why);
        _abandon.Cancel();
        _daemon?.Kill();
    }

    private async Task<LazyPagesStatistics> WatchAsync(LazyPagesDaemon daemon, TimeSpan timeout)
    {
        try
        {
            var statistics = await daemon.WaitForCompletionAsync(timeout, _abandon.Token).ConfigureAwait(false);
            _lastPageAt = Stopwatch.GetTimestamp();
            StandDownDaemonGuard();
            StandDownGuard();
            _logger.AllPagesArrived(Iteration, statistics.PagesTransferred, statistics.PagesOnDemand);
            return statistics;
        }
        catch (Exception failure)
        {
            StandDownDaemonGuard();
            int? restored;
            lock (_lock)
            {
                _daemonFailed = true;
                restored = _restoredPid;
            }
            if (restored is not { } pid)
                throw;
            throw Lost(pid, _abandon.IsCancellationRequested
                ? "the destination abandoned the migration before every page had arrived"
                : "its lazy-pages daemon failed before every page had arrived", failure);
        }
    }

    /// <summary>
    /// Learns the restored root's pid from CRIU's notifications before the restore returns, and when it resumed; holds
    /// the restored tree stopped in post-restore until <paramref name="beforeResume"/> returns (CRIU kills it if it throws).
    /// </summary>
    private sealed class RestoredRoot(Func<int, Task> beforeResume) : CriuNotifyBase
    {
        public int? Pid { get; private set; }

        public override Task SetupNamespacesAsync(int pid)
        {
            Pid = pid;
            return Task.CompletedTask;
        }

        public override Task PostRestoreAsync(int pid)
        {
            Pid = pid;
            return beforeResume(pid);
        }

        /// <summary>When CRIU said the tree runs (Stopwatch clock).</summary>
        public long? ResumedAt { get; private set; }

        public override Task PostResumeAsync()
        {
            ResumedAt = Stopwatch.GetTimestamp();
            return Task.CompletedTask;
        }
    }

    // Until it is reaped, this process's death (kill -9 included) must take the daemon along: before the restore it would
    // wait for ever for a restore that cannot come any more.
    private void GuardDaemonAgainstOurDeath(LazyPagesDaemon daemon)
    {
        try
        {
            _daemonGuard = _trees.GuardAgainstOurDeath(daemon.Pid);
        }
        catch
        {
            daemon.Kill();
            throw;
        }
    }

    // Once the daemon has exited or been killed.
    private void StandDownDaemonGuard() => Interlocked.Exchange(ref _daemonGuard, null)?.Dispose();

    // Armed before the restored tree may resume: from then until its last page, this process's death must take it along.
    private void GuardAgainstOurDeath(int pid)
    {
        var guard = _trees.GuardAgainstOurDeath(pid);
        lock (_lock)
            _guard = guard;
    }

    private void StandDownGuard()
    {
        IDisposable? guard;
        lock (_lock)
            (guard, _guard) = (_guard, null);
        guard?.Dispose();
    }

    private ProcessLostException Lost(int pid, string reason, Exception? cause)
    {
        var killed = _trees.Kill(pid);
        StandDownGuard();
        _logger.RestoredTreeLost(Iteration, pid, killed, reason, cause);
        return new ProcessLostException(pid, reason, cause);
    }

    /// <summary>Abandons the iteration unless every page arrived, then reaps the daemon.</summary>
    public void Dispose()
    {
        Abandon("the iteration ended");
        StandDownGuard();
        _daemon?.Dispose();
        StandDownDaemonGuard();
    }
}
