using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// An <see cref="ICriu"/> that passes every call to another one; derived types change the calls they care about.
/// Disposing it disposes the inner CRIU only when it owns it.
/// </summary>
internal abstract class DelegatingCriu(ICriu inner, bool ownsInner) : ICriu
{
    protected ICriu Inner { get; } = inner;

    public virtual Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        Inner.DumpAsync(opts, notify, cancellationToken);

    public virtual Task PreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        Inner.PreDumpAsync(opts, notify, cancellationToken);

    public virtual Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        Inner.RestoreAsync(opts, notify, cancellationToken);

    public Task StartPageServerAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        Inner.StartPageServerAsync(opts, cancellationToken);

    public Task<CriuPageServerInfo> StartPageServerChldAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        Inner.StartPageServerChldAsync(opts, cancellationToken);

    public Task<int> GetCriuVersionAsync(CancellationToken cancellationToken = default) => Inner.GetCriuVersionAsync(cancellationToken);

    public Task<bool> IsCriuAtLeastAsync(int version, CancellationToken cancellationToken = default) =>
        Inner.IsCriuAtLeastAsync(version, cancellationToken);

    public Task<CriuFeatures> FeatureCheckAsync(CriuFeatures features, CancellationToken cancellationToken = default) =>
        Inner.FeatureCheckAsync(features, cancellationToken);

    public void Dispose()
    {
        if (ownsInner)
            Inner.Dispose();
    }
}
