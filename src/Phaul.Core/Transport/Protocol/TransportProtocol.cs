namespace Phaul.Transport;

/// <summary>Constants both ends of Phaul's transport agree on.</summary>
internal static class TransportProtocol
{
    /// <summary>
    /// The protocol version this build speaks. Both ends send theirs first and refuse a
    /// different one, naming both. Version 2 added post-copy (lazy iterations), version 3 the
    /// page maps a hybrid migration fetches back from the destination (ParentPageMaps), version 4
    /// the two-step hand-over (RestorePrepared, HandOverCommit) that never lets the tree run on both ends, version 5
    /// TLS 1.3 on every connection with the key's proof bound to it, after a plain-text greeting, version 6 the
    /// extensions' requests and streams (<see cref="IDestinationExtension"/>) in place of the file-system messages, version 7
    /// the CRIU options a restore needs inside the restore requests (<see cref="RestoreOptionsWire"/>) and the
    /// destination's memory accounting (vm.overcommit_memory) in CheckPostCopyResult, version 8 the link probe
    /// (LinkProbe) that measures the link before the strategy is chosen.
    /// </summary>
    public const uint Version = 8;

    /// <summary>Bytes of an extension stream's data per frame; well under the frame limit.</summary>
    internal const int ExtensionChunkLength = 64 * 1024;

    /// <summary>Bytes of image data per chunk frame; well under the frame limit.</summary>
    public const int FileChunkLength = 256 * 1024;

    /// <summary>Length of the random nonces of the challenge-response, in bytes.</summary>
    public const int NonceLength = 32;

    /// <summary>Length of a session id, in bytes.</summary>
    public const int SessionIdLength = 16;

    /// <summary>The refusal both ends give for a version mismatch, naming both versions.</summary>
    public static string DescribeVersionMismatch(uint sourceVersion, uint destinationVersion) =>
        $"protocol version mismatch: the source speaks Phaul transport protocol version {sourceVersion}, " +
        $"the destination speaks version {destinationVersion}; install the same Phaul release on both hosts";
}
