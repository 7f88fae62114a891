namespace Phaul.Transport;

/// <summary>
/// A destination extension that takes the session's memory connection, which a session without a tree leaves unused:
/// Phaul.Containers' post-copy gives its end to CRIU's lazy-pages daemon, as a tree's post-copy does. Internal: the
/// memory connection is the core's, and only our own packages may take it.
/// </summary>
internal interface IMemoryConnectionUser
{
    /// <summary>
    /// Called once, when the session creates the extension, with the session's CRIU end of the memory connection (a
    /// socket's fd, whose bytes cross to the source's <see cref="MigrationConnection.Memfd"/>); valid until the session ends.
    /// </summary>
    void UseMemoryConnection(int criuFd);
}
