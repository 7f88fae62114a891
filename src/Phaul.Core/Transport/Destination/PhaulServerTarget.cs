using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>A session's <see cref="PhaulServer"/> as the session drives it.</summary>
internal sealed class PhaulServerTarget(PhaulServer server) : IMigrationTarget
{
    public string LastImagesDir => server.LastImagesDir;

    public ICriu Criu => server.Criu;

    public Task StartIterAsync(CancellationToken cancellationToken = default) => server.StartIterAsync(cancellationToken);

    public Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken = default) =>
        server.StartIterAsync(expectedBytes, cancellationToken);

    public Task StopIterAsync(CancellationToken cancellationToken = default) => server.StopIterAsync(cancellationToken);

    public Task<string?> WhyPostCopyUnavailableAsync(CancellationToken cancellationToken = default) =>
        server.WhyPostCopyUnavailableAsync(cancellationToken);

    public Task StartLazyIterAsync(CancellationToken cancellationToken = default) => server.StartLazyIterAsync(cancellationToken);

    public Task StartLazyPagesAsync(CancellationToken cancellationToken) => server.StartLazyPagesAsync(cancellationToken);

    public Task<int> RestoreLazilyAsync(CriuOpts opts, Func<int, Task> beforeResume, CancellationToken cancellationToken) =>
        server.RestoreLazilyAsync(opts, beforeResume, cancellationToken);

    public Task<LazyPagesStatistics> WaitForLazyPagesAsync(CancellationToken cancellationToken) =>
        server.WaitForLazyPagesAsync(cancellationToken);

    public Task<CriuException?> PageServerFailureAsync(CancellationToken cancellationToken) => server.PageServerFailureAsync(cancellationToken);

    public DestinationMemory? ReadDestinationMemory() => server.ReadDestinationMemory();

    public int KillRestoredTree(int root) => ProcessTrees.Instance.Kill(root);

    public void Dispose() => server.Dispose();
}
