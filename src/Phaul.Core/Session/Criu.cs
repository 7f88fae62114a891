using Phaul.Rpc;

namespace Phaul;

/// <summary>CRIU driven over its RPC service, <c>criu swrk</c>. PLACEHOLDER: being implemented.</summary>
public sealed class Criu : ICriu
{
    private readonly string? _criuPath;

    /// <summary>Creates a client; nothing is started until the first call or <see cref="Prepare"/>.</summary>
    /// <param name="criuPath">CRIU's binary; null: <c>$PHAUL_CRIU</c> if set, else <c>criu</c> on PATH.</param>
    public Criu(string? criuPath = null) => _criuPath = criuPath;

    /// <summary>Starts a swrk session that later calls reuse where CRIU allows.</summary>
    public void Prepare() => throw new NotImplementedException(_criuPath);

    /// <summary>Ends the prepared session.</summary>
    public void Cleanup() => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task PreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task StartPageServerAsync(CriuOpts opts, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task<CriuPageServerInfo> StartPageServerChldAsync(CriuOpts opts, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task<int> GetCriuVersionAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task<bool> IsCriuAtLeastAsync(int version, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public Task<CriuFeatures> FeatureCheckAsync(CriuFeatures features, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <inheritdoc/>
    public void Dispose() { }
}
