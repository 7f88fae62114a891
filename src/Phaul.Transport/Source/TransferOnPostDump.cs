using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// CRIU's notifications during the final dump. On post-dump (the tree frozen, its pages already at
/// the destination's page server) it streams the remaining image files, asks the destination to
/// restore, and returns only when the destination answered that the tree runs there.
/// </summary>
internal sealed class TransferOnPostDump : CriuNotifyBase
{
    private readonly SourceControl _control;
    private readonly string _dumpDirectory;
    private readonly int _iteration;
    private readonly CancellationToken _cancellationToken;

    public TransferOnPostDump(SourceControl control, string dumpDirectory, int iteration, CancellationToken cancellationToken)
    {
        _control = control;
        _dumpDirectory = dumpDirectory;
        _iteration = iteration;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The destination's answer after a successful restore.</summary>
    public RestoredTree? Restored { get; private set; }

    /// <summary>
    /// Why the transfer or the restore failed (a <see cref="TransportException"/>, or the
    /// <see cref="OperationCanceledException"/> of a cancelled migration); CRIU then resumes the tree on the source.
    /// </summary>
    public Exception? Failure { get; private set; }

    /// <inheritdoc/>
    public override async Task PostDumpAsync()
    {
        try
        {
            var result = await _control.ExclusiveAsync(TransferAndRestoreAsync, _cancellationToken).ConfigureAwait(false);
            Restored = Accept(result);
        }
        catch (Exception e)
        {
            Failure = e is TransportException or OperationCanceledException
                ? e
                : new TransportException(TransportSide.Source, TransportPhase.ImageTransfer, e.Message, _iteration,
                                         _control.Channel.PeerEndPoint, e);
            _control.Logger.FinalStageFailed(Failure);
            if (ReferenceEquals(Failure, e))
                throw;
            throw Failure;
        }
    }

    /// <summary>Streams the images, asks for the restore and returns the destination's answer, whatever it is.</summary>
    private async Task<(RestoreResult Result, TransferTotals Totals, TimeSpan Elapsed)> TransferAndRestoreAsync()
    {
        var channel = _control.Channel;
        var elapsed = Stopwatch.StartNew();
        var totals = await ImageSender.SendDirectoryAsync(channel, _dumpDirectory, _iteration, _cancellationToken).ConfigureAwait(false);
        var request = new RestoreRequest { FileCount = (uint)totals.Files, TotalBytes = (ulong)totals.Bytes };
        await channel.SendAsync(new Envelope { RestoreRequest = request }, TransportPhase.Restore, _cancellationToken, _iteration).ConfigureAwait(false);
        _control.Logger.ImagesSent(totals.Files, totals.Bytes, elapsed.ElapsedMilliseconds);

        // Not cancellable: the destination may be restoring already, and resuming the tree here while it
        // starts there would run it twice. Only the reply deadline ends this wait.
        var result = (await channel.ReceiveAsync(Envelope.BodyOneofCase.RestoreResult, TransportPhase.Restore, _control.Timeouts.Reply,
                                                 CancellationToken.None, _iteration).ConfigureAwait(false)).RestoreResult;
        return (result, totals, elapsed.Elapsed);
    }

    private RestoredTree Accept((RestoreResult Result, TransferTotals Totals, TimeSpan Elapsed) answer)
    {
        var (result, totals, elapsed) = answer;
        var channel = _control.Channel;
        if (result.Error.Length > 0)
            throw new TransportException(TransportSide.Destination, TransportPhase.Restore, result.Error, _iteration, channel.PeerEndPoint);
        if (result.Pid <= 0)
            throw channel.Failure(TransportPhase.Restore, $"the destination reported success with an invalid pid {result.Pid}", _iteration);
        _control.Logger.RemoteRestored(result.Pid, (long)elapsed.TotalMilliseconds);
        return new RestoredTree(result.Pid, ParseStats(result.RestoreStats, _control.Logger), totals.Files, totals.Bytes, elapsed);
    }

    // The tree runs on the destination now: unreadable statistics must not fail the notification,
    // which would make CRIU resume the source's copy too.
    internal static RestoreStatistics? ParseStats(ByteString stats, ILogger logger)
    {
        if (stats.IsEmpty)
            return null;
        try
        {
            return RestoreStatistics.FromCriu(RestoreStatsEntry.Parser.ParseFrom(stats));
        }
        catch (InvalidProtocolBufferException e)
        {
            logger.RestoreStatsMalformed(e.Message);
            return null;
        }
    }
}
