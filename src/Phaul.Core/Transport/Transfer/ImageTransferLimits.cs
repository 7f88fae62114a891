namespace Phaul.Transport;

/// <summary>
/// Bounds on the image files a destination accepts, from one session and from all its sessions
/// together, so peers cannot fill its disk. Memory pages travel through CRIU's page server and do
/// not count here. Embedders set them through <see cref="MigrationListenerOptions"/>.
/// </summary>
internal sealed record ImageTransferLimits
{
    /// <summary>The largest single file, in bytes. Default 4 GiB.</summary>
    public long MaxFileBytes { get; init; } = 4L << 30;

    /// <summary>All files of a session together, in bytes. Default 16 GiB.</summary>
    public long MaxTotalBytes { get; init; } = 16L << 30;

    /// <summary>The number of files of a session. Default 65,536.</summary>
    public int MaxFiles { get; init; } = 65_536;

    /// <summary>
    /// All files of all sessions of one destination (one <see cref="MigrationListener"/>) held at once, in bytes: a
    /// session's files count from their arrival until the session ends. Default 32 GiB.
    /// </summary>
    public long MaxTotalBytesAllSessions { get; init; } = 32L << 30;

    /// <summary>The defaults.</summary>
    public static ImageTransferLimits Default { get; } = new();
}
