namespace Phaul.Transport;

internal sealed partial class RemoteRestoreLocal
{
    /// <inheritdoc/>
    public PostCopyReport? PostCopy { get; private set; }

    /// <inheritdoc/>
    /// <remarks>
    /// After pre-dumps (hybrid), their page maps come back from the destination first (the tree still runs).
    /// CRIU dumps the tree lazily into the final dump's directory, serving its memory over <c>Memfd</c>; in the
    /// post-dump notification the image files go to the destination, which starts its lazy-pages daemon on the
    /// memory connection; after the notification the destination restores with lazy pages and answers as soon as
    /// the tree runs; then the memory follows until every page has arrived. Before the destination answered
    /// that the tree runs, a failure kills the source's CRIU and continues the tree on the source. After it,
    /// or when the connection fails while the restore request is out (the tree may run on the destination),
    /// the source's stopped copy is killed and <see cref="ProcessLostException"/> says so.
    /// </remarks>
    public async Task DumpCopyRestoreLazilyAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                                                 CancellationToken cancellationToken = default)
    {
        var (iteration, dumpDirectory) = BeginFinalStage(criu, config, lastClientImagesPath, "StartLazyIterAsync");
        if (lastClientImagesPath.Length > 0)
        {
            // Hybrid: without the pre-dumps' page maps beside it, the lazy dump would serve all the memory again.
            await RemoteParentPageMaps.FetchChainAsync(_control, lastClientImagesPath, iteration, cancellationToken).ConfigureAwait(false);
        }
        var destination = new RemoteLazyDestination(_control, iteration, config.Pid, _options);
        var options = new InProcessLocalOptions { CriuOptions = _options.CriuOptions, ConfigureDump = _configureDump, Progress = _options.Progress };
        using var stage = new PostCopyStage(destination, options, _control.Logger, _options.Dependencies, config, dumpDirectory);
        try
        {
            await stage.RunAsync(criu, lastClientImagesPath, cancellationToken).ConfigureAwait(false);
        }
        catch (CriuException dumpFailed) when (stage.RestoredPid is null)
        {
            // The source's own lazy dump failed before anything was restored: say which side it was.
            throw new TransportException(TransportSide.Source, TransportPhase.FinalDump, FinalDumpFailed(dumpFailed), iteration,
                                         innerException: dumpFailed);
        }
        // FinalDump stays null: CRIU's lazy page server restarts the dump's statistics, so its stats-dump holds zeros.
        Restored = destination.Restored;
        PostCopy = await stage.ReportAsync().ConfigureAwait(false);
    }
}
