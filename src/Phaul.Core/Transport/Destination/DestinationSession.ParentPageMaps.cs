using Phaul.Transport.Protocol;

namespace Phaul.Transport;

// Hybrid: the source's lazy dump needs the page maps its pre-dumps wrote here (see ParentPageMaps).
internal sealed partial class DestinationSession
{
    /// <summary>
    /// Sends the page maps of the lazy iteration's <paramref name="ancestor"/>-th parent, then answers; the pages
    /// stay here. A chain shorter than asked is the answer's error: the source's pre-dumps and ours differ.
    /// </summary>
    private async Task<ParentPageMapsResult> SendParentPageMapsAsync(uint ancestor, CancellationToken cancellationToken)
    {
        var iteration = RunningLazyIteration(TransportPhase.ImageTransfer, "ParentPageMaps");
        if (ancestor == 0)
            throw _channel.Failure(TransportPhase.ImageTransfer, "the source asked for the page maps of ancestor 0 (the lazy iteration itself)", iteration);
        var directory = _target.LastImagesDir;
        for (var generation = 0U; generation < ancestor && directory is not null; generation++)
            directory = IterationDirectories.ParentDirectoryOf(directory);
        if (directory is null)
            return new ParentPageMapsResult { Error = $"the destination's lazy iteration {iteration} has fewer than {ancestor} pre-dumps before it" };
        var totals = await ImageSender.SendDirectoryAsync(_channel, directory, ParentPageMaps.PageMapPattern, iteration, cancellationToken)
                                      .ConfigureAwait(false);
        _logger.ParentPageMapsSent(_id, ancestor, totals.Files, totals.Bytes);
        return new ParentPageMapsResult { FileCount = (uint)totals.Files, TotalBytes = (ulong)totals.Bytes };
    }
}
