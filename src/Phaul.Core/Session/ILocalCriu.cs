namespace Phaul;

/// <summary>
/// A CRIU client that runs CRIU itself, on this host: what Phaul needs beyond CRIU's RPC requests. A decorator of
/// <see cref="ICriu"/> that forwards these keeps session reuse, chained statistics and post-copy; one that does
/// not implement it still migrates, each request in a session of its own.
/// </summary>
public interface ILocalCriu : ICriu
{
    /// <summary>
    /// Starts the swrk session that later calls reuse where CRIU allows: a chain of pre-dumps and the final dump,
    /// and keep_open requests. A no-op while a prepared session is still usable.
    /// </summary>
    /// <exception cref="CriuException">CRIU cannot be started (missing, not executable).</exception>
    void Prepare();

    /// <summary>Ends the prepared session: CRIU is killed if still running, its fds closed. A request running on it fails.</summary>
    void Cleanup();

    /// <summary>
    /// The absolute path of the CRIU binary this client runs. Post-copy's lazy-pages daemon (<c>criu lazy-pages</c>,
    /// a process of its own that no RPC request starts) runs the same binary.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such binary.</exception>
    /// <exception cref="UnauthorizedAccessException">The binary is not executable.</exception>
    string ResolveBinary();
}
