using Phaul.Rpc;

namespace Phaul;

// The destination's side of post-copy: a lazy iteration, its lazy-pages daemon and the lazy restore.
public sealed partial class PhaulServer : IDestinationMemoryReport
{
    private LazyIteration? _lazy;

    /// <summary>This host's memory accounting, which decides whether a lazy restore can map a tree (<see cref="PremapRule"/>); null if unreadable.</summary>
    internal DestinationMemory? ReadDestinationMemory()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _dependencies.ReadDestinationMemory();
    }

    Task<DestinationMemory?> IDestinationMemoryReport.ReadDestinationMemoryAsync(CancellationToken cancellationToken) =>
        Task.FromResult(ReadDestinationMemory());

    /// <inheritdoc/>
    /// <remarks>Asks the destination's CRIU (FEATURE_CHECK <c>lazy_pages</c>) and looks for the binary that runs the daemon.</remarks>
    public async Task<string?> WhyPostCopyUnavailableAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var answer = await Criu.FeatureCheckAsync(new CriuFeatures { LazyPages = true }, cancellationToken).ConfigureAwait(false);
        if (!answer.LazyPages)
            return
                "the destination's CRIU reports no lazy-pages support (it needs userfaultfd with non-cooperative events: " +
                "a kernel built with CONFIG_USERFAULTFD=y, and CRIU run as root)";
        if (Criu is not ILocalCriu local)
            return
                $"the destination's CRIU client ({Criu.GetType().Name}) does not run CRIU on this host (ILocalCriu), so it cannot start the lazy-pages daemon";
        try
        {
            local.ResolveBinary();
        }
        catch (Exception e) when (e is FileNotFoundException or UnauthorizedAccessException)
        {
            return $"the destination cannot start CRIU's lazy-pages daemon: {e.Message}";
        }
        return null;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Creates <c>Wdir/N</c> (with a <c>parent</c> link to <c>Wdir/N-1</c> after pre-copy iterations). Then,
    /// once the final dump's images are in <see cref="LastImagesDir"/>: <see cref="StartLazyPagesAsync"/>,
    /// <see cref="RestoreLazilyAsync(CriuOpts, CancellationToken)"/>, and <see cref="IPhaulRemote.StopIterAsync"/>, which waits for every page
    /// (bounded by <see cref="PhaulServerOptions.PostCopyTimeout"/>). If no tree was restored, StopIter just
    /// kills the daemon. If one was and its pages cannot all arrive (the daemon fails, the deadline passes, or
    /// StopIter is cancelled), the restored tree is killed and StopIter throws <see cref="ProcessLostException"/>,
    /// also when it was cancelled.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The previous iteration was not stopped.</exception>
    public Task StartLazyIterAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfIterationRunning();
        var iteration = _directories.Count;
        var directory = _directories.CreateNext();
        if (iteration > 0)
            File.CreateSymbolicLink(Path.Combine(directory, IterationDirectories.ParentLinkName), IterationDirectories.ParentOf(iteration));
        _lazy = new LazyIteration(iteration, directory, _logger, _dependencies.Trees);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Starts CRIU's lazy-pages daemon for the lazy iteration, on <c>Memfd</c> and <see cref="LastImagesDir"/>,
    /// which must hold the final dump's images by now; returns once it listens for the restore. Call it
    /// while the source's CRIU waits in its post-dump notification: the source starts serving pages when
    /// that notification returns.
    /// </summary>
    /// <param name="cancellationToken">Abandons the start; the daemon is killed.</param>
    /// <exception cref="InvalidOperationException">No lazy iteration is running, or its daemon was started already.</exception>
    /// <exception cref="LazyPagesDaemonException">The daemon exited or did not get ready in time.</exception>
    public Task StartLazyPagesAsync(CancellationToken cancellationToken = default)
    {
        var lazy = RunningLazyIteration();
        var binary = (Criu as ILocalCriu ?? throw new InvalidOperationException(
            "The lazy-pages daemon runs the CRIU binary of an ILocalCriu; PhaulServerOptions.CriuFactory made another ICriu.")).ResolveBinary();
        return lazy.StartDaemonAsync(binary, _config.Memfd, _options.CriuLogLevel,
                                     _options.LazyPagesStartTimeout, _options.PostCopyTimeout, cancellationToken);
    }

    /// <summary>
    /// Restores the tree from <see cref="LastImagesDir"/> with lazy pages. Do not await it inside the source's
    /// post-dump notification: the restore touches memory the source serves only after that notification
    /// returned. Once this returns the tree runs here, and depends on its pages arriving.
    /// </summary>
    /// <param name="opts">CRIU's options for the restore (log file, level, ...); Phaul sets <c>LazyPages</c> and <c>ImagesDirFd</c> in a copy.</param>
    /// <param name="cancellationToken">Kills the restoring CRIU.</param>
    /// <returns>The restored tree's root pid.</returns>
    /// <exception cref="InvalidOperationException">No lazy iteration is running, or its daemon was not started.</exception>
    /// <exception cref="CriuException">The restore failed; the tree never ran here.</exception>
    /// <exception cref="ProcessLostException">The daemon failed before the restore returned; the restored tree was killed.</exception>
    public Task<int> RestoreLazilyAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        RestoreLazilyAsync(opts, null, cancellationToken);

    /// <summary>
    /// Restores like <see cref="RestoreLazilyAsync(CriuOpts, CancellationToken)"/>, through a hand-over gate.
    /// </summary>
    /// <param name="opts">CRIU's options for the restore; Phaul sets <c>LazyPages</c> and <c>ImagesDirFd</c> in a copy.</param>
    /// <param name="beforeResume">
    /// Awaited with the restored root's pid while the restored tree is held stopped (CRIU's post-restore notification):
    /// the tree resumes only if it returns normally, and CRIU kills it if it throws. Null: the tree resumes at once.
    /// </param>
    /// <param name="cancellationToken">Kills the restoring CRIU.</param>
    /// <returns>The restored tree's root pid.</returns>
    /// <exception cref="InvalidOperationException">No lazy iteration is running, or its daemon was not started.</exception>
    /// <exception cref="CriuException">The restore failed, or <paramref name="beforeResume"/> threw; the tree never ran here.</exception>
    /// <exception cref="ProcessLostException">The daemon failed before the restore returned; the restored tree was killed.</exception>
    public async Task<int> RestoreLazilyAsync(CriuOpts opts, Func<int, Task>? beforeResume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(opts);
        var lazy = RunningLazyIteration();
        var restore = opts.Clone();
        restore.LazyPages = true;
        using var images = _dependencies.Directories.Open(lazy.Directory);
        restore.ImagesDirFd = images.Fd;
        return await lazy.RestoreAsync(Criu, restore, beforeResume, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until every page of the lazily restored tree has arrived (the daemon exited successfully), without
    /// ending the iteration.
    /// </summary>
    /// <param name="cancellationToken">Abandons this wait only; the transfer goes on.</param>
    /// <returns>What the daemon moved.</returns>
    /// <exception cref="ProcessLostException">The pages could not all arrive after the restore; the restored tree was killed.</exception>
    /// <exception cref="LazyPagesDaemonException">The daemon failed before any tree was restored.</exception>
    internal Task<LazyPagesStatistics> WaitForLazyPagesAsync(CancellationToken cancellationToken = default) =>
        RunningLazyIteration().StatisticsAsync(cancellationToken);

    private async Task StopLazyIterAsync(CancellationToken cancellationToken)
    {
        var lazy = _lazy!;
        try
        {
            if (lazy.RestoredPid is null)
                lazy.Abandon("no tree was restored");
            else
                await lazy.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The restored tree cannot run without the rest of its memory: this ends it, and the loss is what to report.
            lazy.Abandon("StopIter was cancelled before every page had arrived");
            await lazy.Completion.ConfigureAwait(false);
            throw;
        }
        finally
        {
            _lazy = null;
            lazy.Dispose();
        }
    }

    private LazyIteration RunningLazyIteration()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _lazy ?? throw new InvalidOperationException("No lazy iteration is running: call StartLazyIterAsync first.");
    }

    private void ThrowIfIterationRunning()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pageServer is not null)
            throw new InvalidOperationException($"Iteration {_pageServer.Iteration} is still running: call StopIterAsync first.");
        if (_lazy is not null)
            throw new InvalidOperationException($"Lazy iteration {_lazy.Iteration} is still running: call StopIterAsync first.");
    }
}
