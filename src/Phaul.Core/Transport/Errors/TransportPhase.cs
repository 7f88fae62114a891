namespace Phaul.Transport;

/// <summary>The step of a remote migration a transport error happened in.</summary>
public enum TransportPhase
{
    /// <summary>Opening a TCP connection.</summary>
    Connect,

    /// <summary>Exchanging protocol versions and nonces.</summary>
    Handshake,

    /// <summary>Proving both ends hold the pre-shared key.</summary>
    Authentication,

    /// <summary>Waiting for the source's next request (destination).</summary>
    AwaitingRequest,

    /// <summary>Starting an iteration: the destination's page server.</summary>
    StartIteration,

    /// <summary>Ending an iteration: waiting for the destination's page server.</summary>
    StopIteration,

    /// <summary>The final dump on the source.</summary>
    FinalDump,

    /// <summary>Streaming the final dump's image files to the destination.</summary>
    ImageTransfer,

    /// <summary>Restoring the tree on the destination.</summary>
    Restore,

    /// <summary>
    /// Handing the tree over: the destination holds its restored copy stopped until the source has stopped its own
    /// and says so; then the destination resumes it and answers.
    /// </summary>
    HandOver,

    /// <summary>Post-copy: asking whether the destination can restore with lazy pages.</summary>
    CheckPostCopy,

    /// <summary>Post-copy: the destination's lazy-pages daemon, from its start until every page of the restored tree arrived.</summary>
    PostCopyPages,

    /// <summary>A request to, or a stream with, an extension's handler on the destination (<see cref="IDestinationExtension"/>).</summary>
    Extension,

    /// <summary>Measuring the link's round trip and bandwidth before the strategy is chosen.</summary>
    LinkProbe,
}
