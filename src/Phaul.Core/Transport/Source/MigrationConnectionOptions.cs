using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>How the source connects to a destination and runs the final stage.</summary>
public sealed record MigrationConnectionOptions
{
    /// <summary>Deadlines for the destination's answers. Default <see cref="TransportTimeouts.Default"/>.</summary>
    public TransportTimeouts Timeouts { get; init; } = TransportTimeouts.Default;

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

    /// <summary>Runs once the destination answered that a lazily restored tree runs there (tests cut the connection here).</summary>
    internal Action? AfterLazyRestore { get; init; }

    /// <summary>Called at each step of the hand-over (tests break a migration there).</summary>
    internal HandOverHooks HandOverHooks { get; init; } = HandOverHooks.None;

    /// <summary>How the post-copy stage signals the source tree and its memory socket (unit tests fake them).</summary>
    internal MigrationDependencies Dependencies { get; init; } = MigrationDependencies.Default;

    /// <summary>The defaults.</summary>
    public static MigrationConnectionOptions Default { get; } = new();
}
