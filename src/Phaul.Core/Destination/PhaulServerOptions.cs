using Phaul.Rpc;

namespace Phaul;

/// <summary>How a <see cref="PhaulServer"/> runs its page servers; every property has a working default.</summary>
public sealed class PhaulServerOptions
{
    /// <summary>
    /// How long <see cref="PhaulServer.StopIterAsync"/> waits for the iteration's page server to exit
    /// before killing it and failing. The page server exits as soon as the source's CRIU closes its
    /// session, which happens before the source's dump returns, so this bounds the failure cases
    /// (a source that never connected). Default 10 seconds.
    /// </summary>
    public TimeSpan PageServerExitTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// CRIU's log level for restores, lazy-pages daemons and page servers (0 to 4). Default 4, everything, as
    /// logs are the only diagnosis. Page servers log at 3 at least: their success is judged from their log.
    /// </summary>
    public int CriuLogLevel { get; init; } = 4;

    /// <summary>
    /// Creates the server's CRIU (<see cref="PhaulServer.Criu"/>); the server disposes it. Default: a new
    /// <see cref="Phaul.Criu"/> (CRIU from <c>$PHAUL_CRIU</c> or PATH). Post-copy's lazy-pages daemon runs the binary
    /// of this client, so post-copy to this server needs an <see cref="ILocalCriu"/>.
    /// </summary>
    public Func<ICriu>? CriuFactory { get; init; }

    /// <summary>Adjusts each page server's options after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigurePageServer { get; init; }

    /// <summary>How long the lazy-pages daemon may take to listen for the restore. Default 30 seconds.</summary>
    public TimeSpan LazyPagesStartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a post-copy migration may take, from the lazy-pages daemon's start until every page has
    /// arrived; past it the daemon is killed and, if the tree was restored, the process is lost. It bounds
    /// the case of a connection that goes silent. Default 10 minutes.
    /// </summary>
    public TimeSpan PostCopyTimeout { get; init; } = TimeSpan.FromMinutes(10);

    internal void Validate()
    {
        if (PageServerExitTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"PhaulServerOptions.PageServerExitTimeout must be positive, got {PageServerExitTimeout}.", "options");
        if (LazyPagesStartTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"PhaulServerOptions.LazyPagesStartTimeout must be positive, got {LazyPagesStartTimeout}.", "options");
        if (PostCopyTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"PhaulServerOptions.PostCopyTimeout must be positive, got {PostCopyTimeout}.", "options");
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"PhaulServerOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
    }
}
