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

    /// <summary>CRIU's log level for page servers (0 to 4). Default 4: the log is how their success is judged.</summary>
    public int CriuLogLevel { get; init; } = 4;

    /// <summary>
    /// Creates the server's CRIU (<see cref="PhaulServer.Criu"/>); the server disposes it. Default: a new
    /// <see cref="Phaul.Criu"/> (CRIU from <c>$PHAUL_CRIU</c> or PATH).
    /// </summary>
    public Func<ICriu>? CriuFactory { get; init; }

    /// <summary>Adjusts each page server's options after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigurePageServer { get; init; }

    internal void Validate()
    {
        if (PageServerExitTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"PhaulServerOptions.PageServerExitTimeout must be positive, got {PageServerExitTimeout}.", "options");
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"PhaulServerOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
    }
}
