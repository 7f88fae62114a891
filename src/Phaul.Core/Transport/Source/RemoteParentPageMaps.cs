using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Hybrid, before the lazy final dump (the tree still runs): fetches the page maps of every pre-dump from the
/// destination into the source's matching iteration directories, each with an empty stand-in for its pages file,
/// so that CRIU's lazy dump finds the pages the pre-dumps moved "in the parent" and serves only the others lazily.
/// The network's counterpart of <see cref="ParentPageMaps.LinkChain"/>; the pages themselves stay on the destination.
/// </summary>
internal static class RemoteParentPageMaps
{
    private const TransportPhase Phase = TransportPhase.ImageTransfer;

    /// <summary>Fetches the page maps of <paramref name="lastPreDump"/> and of each pre-dump its <c>parent</c> links lead to.</summary>
    /// <param name="control">The control connection, with the lazy iteration started on the destination.</param>
    /// <param name="lastPreDump">The source's last pre-dump directory (the lazy dump's parent).</param>
    /// <param name="iteration">The lazy iteration, for errors.</param>
    /// <param name="cancellationToken">Abandons the fetch; the tree is not frozen yet.</param>
    /// <exception cref="TransportException">The destination refused, sent a bad or unexpected file, or the connection failed.</exception>
    public static async Task FetchChainAsync(SourceControl control, string lastPreDump, int iteration, CancellationToken cancellationToken)
    {
        var receiver = new ImageReceiver(control.Channel, ImageTransferLimits.Default, control.Timeouts.Transfer);
        var (preDumps, placeholders) = (0, 0);
        for (var directory = lastPreDump; directory is not null; directory = IterationDirectories.ParentDirectoryOf(directory))
        {
            var (into, ancestor) = (directory, (uint)++preDumps);
            var (result, received) = await control.ExclusiveAsync(() => FetchAsync(control, receiver, into, ancestor, iteration, cancellationToken),
                                                                  cancellationToken).ConfigureAwait(false);
            if (result.Error.Length > 0)
                throw DestinationFailure(control, $"the destination could not send the page maps of pre-dump {ancestor} back: {result.Error}", iteration);
            if (result.FileCount != received.Files || result.TotalBytes != (ulong)received.Bytes)
                throw DestinationFailure(control, $"the destination sent {result.FileCount} page maps ({result.TotalBytes} bytes) of pre-dump {ancestor} back, " +
                                                  $"the source received {received.Files} ({received.Bytes} bytes)", iteration);
            placeholders += await CreateEmptyPagesAsync(control, into, iteration, cancellationToken).ConfigureAwait(false);
        }
        control.Logger.ParentPageMapsFetched(preDumps, receiver.Files, receiver.Bytes, lastPreDump, placeholders);
    }

    /// <summary>One request: the page maps of one pre-dump into <paramref name="directory"/>, then the destination's result.</summary>
    private static async Task<(ParentPageMapsResult Result, TransferTotals Received)> FetchAsync(
        SourceControl control, ImageReceiver receiver, string directory, uint ancestor, int iteration, CancellationToken cancellationToken)
    {
        var channel = control.Channel;
        var request = new Envelope { ParentPageMapsRequest = new ParentPageMapsRequest { Ancestor = ancestor } };
        await channel.SendAsync(request, Phase, cancellationToken, iteration).ConfigureAwait(false);
        var (files, bytes) = (receiver.Files, receiver.Bytes);
        while (true)
        {
            var answer = await channel.ReceiveAnyAsync(Phase, control.Timeouts.Reply, cancellationToken, iteration).ConfigureAwait(false);
            switch (answer.BodyCase)
            {
                case Envelope.BodyOneofCase.FileHeader when ImageFileName.IsValid(answer.FileHeader.Name, out _) && !ParentPageMaps.IsPageMap(answer.FileHeader.Name):
                    // Only the page maps: the pages are the whole memory the pre-dumps moved.
                    throw channel.Failure(Phase, $"the destination sent image file '{answer.FileHeader.Name}' of pre-dump {ancestor} back, which is not a page map", iteration);
                case Envelope.BodyOneofCase.FileHeader:
                    await receiver.ReceiveAsync(answer.FileHeader, directory, iteration, cancellationToken).ConfigureAwait(false);
                    break;
                case Envelope.BodyOneofCase.ParentPageMapsResult:
                    return (answer.ParentPageMapsResult, new TransferTotals(receiver.Files - files, receiver.Bytes - bytes));
                case Envelope.BodyOneofCase.Abort:
                    throw channel.Aborted(answer.Abort, Phase, iteration);
                default:
                    throw channel.Unexpected(answer, $"a page map of pre-dump {ancestor} back or ParentPageMapsResult", Phase, iteration);
            }
        }
    }

    private static TransportException DestinationFailure(SourceControl control, string error, int iteration) =>
        new(TransportSide.Destination, Phase, error, iteration, control.Channel.PeerEndPoint);

    private static async Task<int> CreateEmptyPagesAsync(SourceControl control, string directory, int iteration, CancellationToken cancellationToken)
    {
        try
        {
            return await ParentPageMaps.CreateEmptyPagesAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        catch (CriuImageFormatException e)
        {
            throw control.Channel.Failure(Phase, $"the destination sent a page map that is not one: {e.Message}", iteration, e);
        }
    }
}
