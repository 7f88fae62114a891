using Phaul.Rpc;

namespace Phaul;

/// <summary>CRIU's operations, as served by its RPC service (<c>criu swrk</c>).</summary>
public interface ICriu : IDisposable
{
    /// <summary>Dumps the tree described by <paramref name="opts"/>; without <c>LeaveRunning</c> the tree is killed on success.</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="notify">Receives CRIU's notifications; throwing from it fails the dump and the tree resumes.</param>
    /// <param name="cancellationToken">Kills CRIU; CRIU's parasite cleanup then resumes the tree.</param>
    /// <exception cref="CriuException">CRIU reported failure.</exception>
    Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default);

    /// <summary>Copies the tree's memory while it keeps running (needs memory tracking in the kernel).</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="notify">Receives CRIU's notifications.</param>
    /// <param name="cancellationToken">Kills CRIU and abandons the pre-dump.</param>
    /// <exception cref="CriuException">CRIU reported failure.</exception>
    Task PreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default);

    /// <summary>Restores a tree from images.</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="notify">Receives CRIU's notifications.</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    /// <returns>The pid of the restored tree's root.</returns>
    /// <exception cref="CriuException">CRIU reported failure.</exception>
    Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default);

    /// <summary>Starts a page server as a daemon (detached from CRIU) and returns once it listens; it exits when its client is done.</summary>
    /// <param name="opts">CRIU's options with <c>Ps</c> set.</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    Task StartPageServerAsync(CriuOpts opts, CancellationToken cancellationToken = default);

    /// <summary>Starts a page server as a child of CRIU's swrk process and returns once it listens; on a prepared session <c>Criu.WaitPidAsync</c> can wait for it.</summary>
    /// <param name="opts">CRIU's options with <c>Ps</c> set.</param>
    /// <param name="cancellationToken">Abandons the request.</param>
    /// <returns>The page server's pid and port.</returns>
    Task<CriuPageServerInfo> StartPageServerChldAsync(CriuOpts opts, CancellationToken cancellationToken = default);

    /// <summary>CRIU's version as <c>major*10000 + minor*100 + sublevel</c>.</summary>
    /// <param name="cancellationToken">Abandons the request.</param>
    Task<int> GetCriuVersionAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether CRIU's version is at least <paramref name="version"/> (same encoding as <see cref="GetCriuVersionAsync"/>).</summary>
    /// <param name="version">The least version wanted.</param>
    /// <param name="cancellationToken">Abandons the request.</param>
    Task<bool> IsCriuAtLeastAsync(int version, CancellationToken cancellationToken = default);

    /// <summary>Asks CRIU which of the given features this kernel and CRIU support.</summary>
    /// <param name="features">The features to ask about (set each to <see langword="true"/>).</param>
    /// <param name="cancellationToken">Abandons the request.</param>
    /// <returns>CRIU's answer, not the input.</returns>
    Task<CriuFeatures> FeatureCheckAsync(CriuFeatures features, CancellationToken cancellationToken = default);
}
