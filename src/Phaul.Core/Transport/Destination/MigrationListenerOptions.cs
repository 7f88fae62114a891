using System.Net;
using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>How a destination listens for migrations and where it keeps their images.</summary>
public sealed record MigrationListenerOptions
{
    /// <summary>The TCP port a destination listens on unless told otherwise, and a source connects to.</summary>
    public const int DefaultPort = 7480;

    /// <summary>
    /// The address to listen on. Default 127.0.0.1 port <see cref="DefaultPort"/>:
    /// listening on other hosts' reach is an explicit choice. Port 0 picks a free port.
    /// </summary>
    public IPEndPoint EndPoint { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>An existing directory; each session gets its own subdirectory (mode 0700) for images and logs.</summary>
    public required string Wdir { get; init; }

    /// <summary>The pre-shared key sources must prove they hold.</summary>
    public required PreSharedKey Key { get; init; }

    /// <summary>
    /// The largest image file a session may send, in bytes; a bigger one is refused, so that peers cannot fill the
    /// disk. Memory pages travel through CRIU's page server and do not count as image files. Default 4 GiB.
    /// </summary>
    public long MaxImageFileBytes { get; init; } = ImageTransferLimits.Default.MaxFileBytes;

    /// <summary>All image files of one session together, in bytes. Default 16 GiB.</summary>
    public long MaxImageBytesPerSession { get; init; } = ImageTransferLimits.Default.MaxTotalBytes;

    /// <summary>The number of image files of one session. Default 65,536.</summary>
    public int MaxImageFiles { get; init; } = ImageTransferLimits.Default.MaxFiles;

    /// <summary>
    /// All image files of all sessions of this destination (one <see cref="MigrationListener"/>) held at once, in
    /// bytes: a session's files count from their arrival until the session ends. Default 32 GiB.
    /// </summary>
    public long MaxImageBytesAllSessions { get; init; } = ImageTransferLimits.Default.MaxTotalBytesAllSessions;

    /// <summary>
    /// The wait for each handshake message of a new connection, for its whole handshake, and for a session's memory
    /// connection to join it. Default 10 s.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TransportTimeouts.Default.Handshake;

    /// <summary>The wait for the source's next request, e.g. while the source pre-dumps a big tree. Default 10 minutes.</summary>
    public TimeSpan RequestTimeout { get; init; } = TransportTimeouts.Default.Request;

    /// <summary>The wait for each frame of an image file the source sends. Default 30 s.</summary>
    public TimeSpan TransferTimeout { get; init; } = TransportTimeouts.Default.Transfer;

    /// <summary>
    /// How long a restored, stopped tree is held for the source's word to resume it (then it is killed), and how long
    /// a source asking how a hand-over ended waits for the answer. Default 30 s.
    /// </summary>
    public TimeSpan HandOverTimeout { get; init; } = TransportTimeouts.Default.HandOver;

    /// <summary>
    /// Authenticated connections open at once (a session holds two, a hand-over query one); a source that
    /// authenticates beyond it is refused with a message saying so. Connections still authenticating have their
    /// own slots (<see cref="MaxPendingConnections"/>), so they never take these. Default 16.
    /// </summary>
    public int MaxConnections { get; init; } = 16;

    /// <summary>
    /// Connections that have not authenticated yet, at once, from all addresses. When they are all taken, the oldest
    /// that has not even sent its greeting is dropped for a newcomer; only when none is idle is the newcomer refused
    /// (with a message the source shows). Each must finish its whole handshake within <see cref="HandshakeTimeout"/>.
    /// Default 64.
    /// </summary>
    public int MaxPendingConnections { get; init; } = 64;

    /// <summary>The same as <see cref="MaxPendingConnections"/>, per peer address. Default 8.</summary>
    public int MaxPendingConnectionsPerAddress { get; init; } = 8;

    /// <summary>
    /// Accept only unencrypted connections: memory, images, file copies and control messages cross the network in
    /// clear text, so anyone on the path can read the tree's memory and change what is restored here (the key still
    /// authenticates both ends). Sources must ask for it too (<see cref="MigrationConnectionOptions.InsecurePlaintext"/>);
    /// either end alone is refused. Default <see langword="false"/>: TLS 1.3.
    /// </summary>
    public bool InsecurePlaintext { get; init; }

    /// <summary>
    /// Whether a session that restored its tree keeps its image files. Default <see langword="false"/>: they
    /// are removed once the tree runs here with all its memory (its pages images are as large as that memory),
    /// and the CRIU logs and statistics stay.
    /// </summary>
    public bool KeepImages { get; init; }

    /// <summary>
    /// Whether a failed session keeps its image files, for diagnosis. Default <see langword="false"/>: they are
    /// removed (the logs stay), so that failed sessions cannot fill the disk and refuse every later migration. Images
    /// that a crashed service left behind are removed when the next listener starts in the same <see cref="Wdir"/>.
    /// </summary>
    public bool KeepFailed { get; init; }

    /// <summary>How each session's <see cref="PhaulServer"/> runs its page servers (and which CRIU it uses); null for the defaults.</summary>
    public PhaulServerOptions? Server { get; init; }

    /// <summary>
    /// Adjusts CRIU's restore options after Phaul set its own (images directory, log) and those the source sent (what the
    /// restore needs of <see cref="MigrationConnectionOptions.CriuOptions"/>, e.g. tcp_established or an external veth),
    /// e.g. for what only this host knows. A source can send only an allow-list of options (no scripts, no files to read,
    /// no fds); anything else is refused and the tree runs on at the source.
    /// </summary>
    public Action<CriuOpts>? ConfigureRestore { get; init; }

    /// <summary>
    /// The extensions sources may use in a session (<see cref="MigrationConnection.RequestAsync"/>,
    /// <see cref="MigrationConnection.OpenStreamAsync"/>), by name, each with the factory that creates its handler for
    /// one session (e.g. Phaul.FileSystem's, which copies files with rsync). A source naming another is refused.
    /// Default: none.
    /// </summary>
    public IReadOnlyDictionary<string, Func<IDestinationExtension>> Extensions { get; init; } =
        System.Collections.ObjectModel.ReadOnlyDictionary<string, Func<IDestinationExtension>>.Empty;

    /// <summary>Called at each step of the destination's half of the hand-over (tests break a migration there).</summary>
    internal HandOverHooks HandOverHooks { get; init; } = HandOverHooks.None;

    /// <summary>The deadlines, as the transport's code takes them; the source's reply deadline does not apply here.</summary>
    internal TransportTimeouts Timeouts => TransportTimeouts.Default with
    {
        Handshake = HandshakeTimeout,
        Request = RequestTimeout,
        Transfer = TransferTimeout,
        HandOver = HandOverTimeout,
    };

    /// <summary>The image limits, as the receiving code takes them.</summary>
    internal ImageTransferLimits ImageLimits => new()
    {
        MaxFileBytes = MaxImageFileBytes,
        MaxTotalBytes = MaxImageBytesPerSession,
        MaxFiles = MaxImageFiles,
        MaxTotalBytesAllSessions = MaxImageBytesAllSessions,
    };

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(EndPoint, nameof(EndPoint));
        ArgumentNullException.ThrowIfNull(Key, nameof(Key));
        if (string.IsNullOrEmpty(Wdir))
            throw new ArgumentException("MigrationListenerOptions.Wdir must name a directory.", nameof(Wdir));
        if (!Directory.Exists(Wdir))
            throw new ArgumentException($"MigrationListenerOptions.Wdir '{Wdir}' does not exist.", nameof(Wdir));
        RequirePositive(MaxImageFileBytes, nameof(MaxImageFileBytes));
        RequirePositive(MaxImageBytesPerSession, nameof(MaxImageBytesPerSession));
        RequirePositive(MaxImageFiles, nameof(MaxImageFiles));
        RequirePositive(MaxImageBytesAllSessions, nameof(MaxImageBytesAllSessions));
        TransportTimeouts.RequirePositive(HandshakeTimeout, nameof(MigrationListenerOptions), nameof(HandshakeTimeout));
        TransportTimeouts.RequirePositive(RequestTimeout, nameof(MigrationListenerOptions), nameof(RequestTimeout));
        TransportTimeouts.RequirePositive(TransferTimeout, nameof(MigrationListenerOptions), nameof(TransferTimeout));
        TransportTimeouts.RequirePositive(HandOverTimeout, nameof(MigrationListenerOptions), nameof(HandOverTimeout));
        ArgumentNullException.ThrowIfNull(Extensions, nameof(Extensions));
        if (Extensions.FirstOrDefault(extension => string.IsNullOrEmpty(extension.Key) || extension.Value is null) is { Key: { } name })
            throw new ArgumentException($"MigrationListenerOptions.Extensions: the extension '{name}' needs a name and a factory.", nameof(Extensions));
        if (MaxPendingConnections < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPendingConnections), MaxPendingConnections, "MigrationListenerOptions.MaxPendingConnections must be at least 1.");
        if (MaxPendingConnectionsPerAddress < 1 || MaxPendingConnectionsPerAddress > MaxPendingConnections)
            throw new ArgumentOutOfRangeException(nameof(MaxPendingConnectionsPerAddress), MaxPendingConnectionsPerAddress,
                $"MigrationListenerOptions.MaxPendingConnectionsPerAddress must be between 1 and MaxPendingConnections ({MaxPendingConnections}).");
        if (MaxConnections < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxConnections), MaxConnections, "MigrationListenerOptions.MaxConnections must be at least 2 (one session's two connections).");
    }

    private static void RequirePositive(long value, string name)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"MigrationListenerOptions.{name} must be positive.");
    }
}
