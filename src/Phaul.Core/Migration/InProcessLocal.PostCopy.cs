namespace Phaul;

public sealed partial class InProcessLocal
{
    /// <inheritdoc/>
    public PostCopyReport? PostCopy { get; private set; }

    /// <inheritdoc/>
    /// <remarks>
    /// Dumps lazily into the client's next iteration directory; in CRIU's post-dump notification links the
    /// images into the server's lazy iteration and starts its lazy-pages daemon; after the notification
    /// (the source's CRIU then serves pages) restores with the server and waits for every page. The source
    /// tree is continued (SIGCONT) after a failure before the resume and killed after the resume. The
    /// server must have a lazy iteration running (<see cref="PhaulServer.StartLazyIterAsync"/>).
    /// <see cref="FinalDump"/> stays <see langword="null"/>: CRIU's lazy page server restarts the dump's
    /// statistics, so a lazy dump's <c>stats-dump</c> holds zeros; <see cref="PostCopy"/> reports instead.
    /// </remarks>
    public async Task DumpCopyRestoreLazilyAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                                                 CancellationToken cancellationToken = default)
    {
        var directory = BeginFinalStage(criu, config, lastClientImagesPath);
        if (lastClientImagesPath.Length > 0)
        {
            // Hybrid: without the pre-dumps' page maps beside it, the lazy dump would serve all the memory again.
            var destinationParent = Path.Combine(_server.LastImagesDir, IterationDirectories.ParentLinkName);
            var linked = ParentPageMaps.LinkChain(lastClientImagesPath, destinationParent);
            _logger.ImagesLinked(linked, destinationParent, lastClientImagesPath);
        }
        using var stage = new PostCopyStage(new PhaulServerLazyDestination(_server, _options, _logger, config.Pid, _dependencies.Trees), _options, _logger, _dependencies, config, directory);
        await stage.RunAsync(criu, lastClientImagesPath, cancellationToken).ConfigureAwait(false);
        RestoredPid = stage.RestoredPid;
        // FinalDump stays null: CRIU's lazy page server restarts the dump's statistics, so its stats-dump holds zeros.
        Restore = await TryReadAsync(_server.LastImagesDir, _dependencies.Stats.ReadRestoreStatsAsync, RestoreStatistics.FromCriu).ConfigureAwait(false);
        PostCopy = await stage.ReportAsync().ConfigureAwait(false);
    }
}
