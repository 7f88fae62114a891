namespace Phaul.Transport;

/// <summary>
/// How long either end waits for its peer before it gives up on the connection, so a dead or
/// silent peer never hangs a migration. TCP keepalive also notices a vanished host within about
/// 25 s while a long wait runs, and a TCP user timeout fails a connection whose sent data goes
/// unacknowledged for 30 s (a cut link while pages move). Embedders set the deadlines of each end on
/// <see cref="MigrationListenerOptions"/> and <see cref="MigrationConnectionOptions"/>.
/// </summary>
internal sealed record TransportTimeouts
{
    /// <summary>Each handshake message, and the memory connection joining its session. Default 10 s.</summary>
    public TimeSpan Handshake { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The destination waiting for the source's next request, e.g. while the source pre-dumps a
    /// big tree. Default 10 minutes.
    /// </summary>
    public TimeSpan Request { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// The source waiting for the destination's answer, e.g. while the destination waits for its
    /// page server or restores. Default 10 minutes.
    /// </summary>
    public TimeSpan Reply { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Each frame of an image file transfer. Default 30 s.</summary>
    public TimeSpan Transfer { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The hand-over, each way: how long the destination holds a restored, stopped tree for the source's word
    /// to resume it (then it kills it), and how long the source waits for the destination's answer to that word
    /// (then it cannot know where the tree runs, and keeps its copy stopped). Default 30 s.
    /// </summary>
    public TimeSpan HandOver { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The defaults.</summary>
    public static TransportTimeouts Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option unless the timeout is positive or infinite.</summary>
    /// <param name="timeout">The option's value.</param>
    /// <param name="options">The options type, for the message.</param>
    /// <param name="name">The option's name.</param>
    public static void RequirePositive(TimeSpan timeout, string options, string name)
    {
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(name, timeout, $"{options}.{name} must be positive (or infinite).");
    }
}
