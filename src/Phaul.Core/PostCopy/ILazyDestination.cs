namespace Phaul;

/// <summary>
/// The destination as a post-copy final stage (<see cref="PostCopyStage"/>) drives it: a
/// <see cref="PhaulServer"/> in this process, or one across the network.
/// </summary>
internal interface ILazyDestination
{
    /// <summary>
    /// Runs inside the source's post-dump notification: gets the images of <paramref name="dumpDirectory"/>
    /// into the destination's lazy iteration and starts its lazy-pages daemon; returns once it listens.
    /// A failure means nothing was restored.
    /// </summary>
    Task StartAsync(string dumpDirectory, CancellationToken cancellationToken);

    /// <summary>Restores the tree with lazy pages; returns its root pid once it runs on the destination.</summary>
    /// <exception cref="ProcessLostException">The tree resumed (or may have) and cannot get its pages.</exception>
    /// <remarks>Any other failure means the tree never ran on the destination.</remarks>
    Task<int> RestoreAsync(CancellationToken cancellationToken);

    /// <summary>Waits until every page of the restored tree has arrived.</summary>
    /// <returns>What the destination's daemon moved, and when.</returns>
    Task<LazyPagesStatistics> WaitForPagesAsync(CancellationToken cancellationToken);
}
