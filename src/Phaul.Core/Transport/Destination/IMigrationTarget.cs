using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>
/// What a destination session drives: the PhaulServer's surface (iterations, lazy iterations, the newest
/// images directory, its CRIU). A seam so sessions can be tested without CRIU.
/// </summary>
internal interface IMigrationTarget : IPhaulPostCopyRemote, IDisposable
{
    /// <summary>Absolute path of the newest iteration directory, "" before the first.</summary>
    string LastImagesDir { get; }

    /// <summary>The CRIU the destination restores with.</summary>
    ICriu Criu { get; }

    /// <summary>Starts the lazy iteration's lazy-pages daemon on its images; see <see cref="PhaulServer.StartLazyPagesAsync"/>.</summary>
    Task StartLazyPagesAsync(CancellationToken cancellationToken);

    /// <summary>Restores with lazy pages; see <see cref="PhaulServer.RestoreLazilyAsync(Phaul.Rpc.CriuOpts, Func{int, Task}?, CancellationToken)"/>.</summary>
    Task<int> RestoreLazilyAsync(CriuOpts opts, Func<int, Task> beforeResume, CancellationToken cancellationToken);

    /// <summary>Waits for every page of the lazily restored tree; see <see cref="PhaulServer.WaitForLazyPagesAsync"/>.</summary>
    Task<LazyPagesStatistics> WaitForLazyPagesAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the running iteration's page server exits: with its failure, or null; see <see cref="PhaulServer"/>.</summary>
    Task<CriuException?> PageServerFailureAsync(CancellationToken cancellationToken);

    /// <summary>This host's memory accounting, reported to the source with the post-copy check; null if unreadable.</summary>
    DestinationMemory? ReadDestinationMemory();

    /// <summary>SIGKILLs the restored tree rooted at <paramref name="root"/>; returns how many processes were signalled.</summary>
    int KillRestoredTree(int root);
}
