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
    /// The CRIU options this migration needs, stated once here on the source (e.g. <c>TcpEstablished</c>, <c>FileLocks</c>,
    /// <c>External</c> for a veth or a mount, <c>ManageCgroups</c>, <c>NetworkLock</c>; <c>ConfigFile</c> only with care, as
    /// CRIU lets that file override everything Phaul sets): merged into
    /// every pre-dump and the final dump, and what the restore needs of them (tcp_established, tcp_close,
    /// tcp_skip_in_flight, file_locks, ext_unix_sk, shell_job, external, manage_cgroups and its mode, empty_ns,
    /// network_lock) travels to the destination with the restore request, so the destination needs no options of its
    /// own; a destination takes nothing else from a source. Fields Phaul sets itself for each request (pid, images,
    /// page server, parent, log file, notifications, inherit_fd, ...) are refused. Applied before
    /// <see cref="ConfigureFinalDump"/>, which can still change them. Default null: none.
    /// </summary>
    public CriuOpts? CriuOptions { get; init; }

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

    /// <summary>
    /// Sent as they are in the restore requests instead of the restore part of <see cref="CriuOptions"/>, as a source
    /// that is not Phaul's could (tests of the destination's allow-list).
    /// </summary>
    internal CriuOpts? UnfilteredRestoreOptions { get; init; }

    /// <summary>What the restore requests carry of the CRIU options.</summary>
    internal Google.Protobuf.ByteString RestoreOptionsOnWire =>
        UnfilteredRestoreOptions is { } unfiltered ? Google.Protobuf.MessageExtensions.ToByteString(unfiltered) : RestoreOptionsWire.ToWire(CriuOptions);

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

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> naming the first timeout that is neither positive nor infinite, or
    /// <see cref="ArgumentException"/> naming the fields of <see cref="CriuOptions"/> that Phaul sets itself.
    /// </summary>
    internal void Validate()
    {
        CriuOptionsTemplate.Validate(CriuOptions, $"{nameof(MigrationConnectionOptions)}.{nameof(CriuOptions)}", "options");
        TransportTimeouts.RequirePositive(HandshakeTimeout, nameof(MigrationConnectionOptions), nameof(HandshakeTimeout));
        TransportTimeouts.RequirePositive(ReplyTimeout, nameof(MigrationConnectionOptions), nameof(ReplyTimeout));
        TransportTimeouts.RequirePositive(TransferTimeout, nameof(MigrationConnectionOptions), nameof(TransferTimeout));
        TransportTimeouts.RequirePositive(HandOverTimeout, nameof(MigrationConnectionOptions), nameof(HandOverTimeout));
    }
}
