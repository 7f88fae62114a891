using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>How the source connects to a destination and runs the final stage.</summary>
public sealed record MigrationConnectionOptions
{
    /// <summary>
    /// The wait for each connection to open and finish its handshake, and for each message of a query asking how a
    /// hand-over ended. Default 10 s.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TransportTimeouts.Default.Handshake;

    /// <summary>
    /// The wait for the destination's answer to each request, e.g. while the destination waits for its page server or
    /// restores. Default 10 minutes.
    /// </summary>
    public TimeSpan ReplyTimeout { get; init; } = TransportTimeouts.Default.Reply;

    /// <summary>The wait for each frame of an image file the destination sends back (a hybrid migration's page maps). Default 30 s.</summary>
    public TimeSpan TransferTimeout { get; init; } = TransportTimeouts.Default.Transfer;

    /// <summary>
    /// How long the source waits for the destination's answer to its word to resume the tree, and then keeps asking
    /// over new connections; without an answer it cannot know where the tree runs, and keeps its copy stopped. Default 30 s.
    /// </summary>
    public TimeSpan HandOverTimeout { get; init; } = TransportTimeouts.Default.HandOver;

    /// <summary>
    /// Send everything unencrypted: the tree's memory, its image files, file copies and control messages cross the
    /// network in clear text, so anyone on the path can read the memory and change what the destination restores (the
    /// key still authenticates both ends). The destination must allow it too (<see cref="MigrationListenerOptions.InsecurePlaintext"/>);
    /// either end alone is refused. Default <see langword="false"/>: TLS 1.3.
    /// </summary>
    public bool InsecurePlaintext { get; init; }

    /// <summary>
    /// Adjusts CRIU's options for the final dump after Phaul set its own (pid, images directory,
    /// page server, parent, log), e.g. to set <c>TcpEstablished</c> or external mounts.
    /// </summary>
    public Action<CriuOpts>? ConfigureFinalDump { get; init; }

    /// <summary>
    /// Told the final stage's steps on this connection (images sent, restored, every page arrived, the source's copy
    /// resumed or killed, a post-copy loss); give the same sink to <see cref="PhaulClientOptions.Progress"/> for the
    /// loop's. Its exceptions are logged and ignored. Default null: none.
    /// </summary>
    public IProgress<MigrationProgress>? Progress { get; init; }

    /// <summary>Runs once the destination answered that a lazily restored tree runs there (tests cut the connection here).</summary>
    internal Action? AfterLazyRestore { get; init; }

    /// <summary>Called at each step of the hand-over (tests break a migration there).</summary>
    internal HandOverHooks HandOverHooks { get; init; } = HandOverHooks.None;

    /// <summary>How the post-copy stage signals the source tree and its memory socket (unit tests fake them).</summary>
    internal MigrationDependencies Dependencies { get; init; } = MigrationDependencies.Default;

    /// <summary>The deadlines, as the transport's code takes them; the destination's request deadline does not apply here.</summary>
    internal TransportTimeouts Timeouts => TransportTimeouts.Default with
    {
        Handshake = HandshakeTimeout,
        Reply = ReplyTimeout,
        Transfer = TransferTimeout,
        HandOver = HandOverTimeout,
    };

    /// <summary>The defaults.</summary>
    public static MigrationConnectionOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first timeout that is neither positive nor infinite.</summary>
    internal void Validate()
    {
        TransportTimeouts.RequirePositive(HandshakeTimeout, nameof(MigrationConnectionOptions), nameof(HandshakeTimeout));
        TransportTimeouts.RequirePositive(ReplyTimeout, nameof(MigrationConnectionOptions), nameof(ReplyTimeout));
        TransportTimeouts.RequirePositive(TransferTimeout, nameof(MigrationConnectionOptions), nameof(TransferTimeout));
        TransportTimeouts.RequirePositive(HandOverTimeout, nameof(MigrationConnectionOptions), nameof(HandOverTimeout));
    }
}
