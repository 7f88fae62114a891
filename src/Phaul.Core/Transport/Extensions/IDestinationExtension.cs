namespace Phaul.Transport;

/// <summary>
/// A package's handler in one destination session, reached by the source through the session's authenticated (and,
/// unless both ends chose otherwise, encrypted) control connection: <see cref="MigrationConnection.RequestAsync"/> and
/// <see cref="MigrationConnection.OpenStreamAsync"/>. The destination creates one per session, on the source's first
/// use of its name, with the factory registered in <see cref="MigrationListenerOptions.Extensions"/>.
/// </summary>
/// <remarks>
/// Whoever holds the key can send anything here: check every request and header before acting on it. An exception
/// becomes the error the source's call throws (a <see cref="TransportException"/> in <see cref="TransportPhase.Extension"/>
/// carrying its message) and the session goes on. The session calls one method at a time.
/// </remarks>
public interface IDestinationExtension
{
    /// <summary>Answers one request of the source.</summary>
    /// <param name="request">What the source sent.</param>
    /// <param name="cancellationToken">Cancelled when the session ends.</param>
    /// <returns>The answer for the source; it must fit a frame with room to spare (under 1 MiB).</returns>
    Task<byte[]> HandleRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken);

    /// <summary>
    /// Serves one stream the source opened, until this returns: reading <paramref name="stream"/> gives what the source
    /// writes (its end when the source ends its side), writing it sends to the source. Returning (or throwing) ends the
    /// destination's side; what the source still sends then is dropped.
    /// </summary>
    /// <param name="header">What the source sent with the opening.</param>
    /// <param name="stream">Both directions of the stream; the session owns it.</param>
    /// <param name="cancellationToken">Cancelled when the session ends or its connection fails.</param>
    Task HandleStreamAsync(ReadOnlyMemory<byte> header, Stream stream, CancellationToken cancellationToken);

    /// <summary>
    /// The root pid of what this extension restored here itself (e.g. a container's init, restored by the container's
    /// runtime), once it did; null otherwise. The session then counts as restored: the listener reports this pid, and
    /// every extension ends as migrated.
    /// </summary>
    int? RestoredPid => null;

    /// <summary>
    /// Called once when the session ends, whether the source completed the migration or vanished. A failure is logged.
    /// </summary>
    /// <param name="migrated">Whether the session restored the tree here.</param>
    /// <param name="cancellationToken">Abandons the clean-up.</param>
    Task EndAsync(bool migrated, CancellationToken cancellationToken);
}
