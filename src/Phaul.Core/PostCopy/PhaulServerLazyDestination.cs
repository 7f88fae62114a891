using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// A <see cref="PhaulServer"/> in this process as the lazy stage's destination: images are hard-linked across, and the
/// restored copy runs only once the source's copy (<paramref name="sourcePid"/>) is stopped, never to run again.
/// </summary>
internal sealed class PhaulServerLazyDestination(PhaulServer server, InProcessLocalOptions options, ILogger logger, int sourcePid,
                                                 IProcessTrees trees) : ILazyDestination
{
    private const string RestoreLogFile = "restore.log";

    public async Task StartAsync(string dumpDirectory, CancellationToken cancellationToken)
    {
        var linked = ImageLinker.LinkOrCopyImages(dumpDirectory, server.LastImagesDir);
        logger.ImagesLinked(linked, dumpDirectory, server.LastImagesDir);
        await server.StartLazyPagesAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task<int> RestoreAsync(CancellationToken cancellationToken)
    {
        var opts = new CriuOpts { LogLevel = options.CriuLogLevel, LogFile = RestoreLogFile, RstSibling = false };
        CriuOptionsTemplate.ApplyTo(opts, CriuOptionsTemplate.RestorePart(options.CriuOptions));
        options.ConfigureRestore?.Invoke(opts);
        return server.RestoreLazilyAsync(opts, StopSourceAsync, cancellationToken);
    }

    private Task StopSourceAsync(int restoredPid)
    {
        var stopped = trees.Stop(sourcePid);
        logger.SourceStoppedForHandOver(sourcePid, stopped, restoredPid);
        return Task.CompletedTask;
    }

    public Task<LazyPagesStatistics> WaitForPagesAsync(CancellationToken cancellationToken) =>
        server.WaitForLazyPagesAsync(cancellationToken);
}
