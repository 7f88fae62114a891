namespace Phaul;

/// <summary>
/// A destination that can also receive a tree by post-copy: the tree is restored before its memory,
/// which then follows on demand and in the background (CRIU's lazy pages).
/// </summary>
public interface IPhaulPostCopyRemote : IPhaulRemote
{
    /// <summary>Why the destination cannot restore with lazy pages, and how to fix it; <see langword="null"/> when it can.</summary>
    /// <param name="cancellationToken">Abandons the check.</param>
    /// <returns>The obstacle in one sentence, or <see langword="null"/>.</returns>
    Task<string?> WhyPostCopyUnavailableAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the final, lazy iteration: the next images directory and no page server (a lazy dump sends
    /// pages only when the destination asks for them). <see cref="IPhaulRemote.StopIterAsync"/> then waits
    /// until every page of the restored tree has arrived.
    /// </summary>
    /// <param name="cancellationToken">Abandons the call.</param>
    Task StartLazyIterAsync(CancellationToken cancellationToken = default);
}
