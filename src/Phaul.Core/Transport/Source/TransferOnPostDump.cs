using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// CRIU's notifications during the final dump. On post-dump (the tree frozen, its pages already at the
/// destination's page server) it streams the remaining image files and hands the tree over in two steps:
/// the destination restores it stopped and says so (RestorePrepared); this end stops its own frozen copy
/// (<see cref="IProcessTrees.Stop"/>) and only then tells the destination to resume (HandOverCommit), and
/// returns when the destination answered that the tree runs there. From the moment the commit may have left,
/// whatever fails, this end's copy ends stopped, never running: CRIU's own failure path (a failed
/// notification, or this process dying) resumes a tree with a stop pending.
/// </summary>
internal sealed class TransferOnPostDump : CriuNotifyBase
{
    private readonly SourceControl _control;
    private readonly string _dumpDirectory;
    private readonly int _iteration;
    private readonly int _pid;
    private readonly HandOverHooks _hooks;
    private readonly SourceHandOver _handOver;
    private readonly HandOverResolver _resolver;
    private readonly ByteString _restoreOptions;
    private readonly CancellationToken _cancellationToken;

    public TransferOnPostDump(SourceControl control, string dumpDirectory, int iteration, int pid, IProcessTrees trees,
                              HandOverHooks hooks, HandOverResolver resolver, ByteString restoreOptions, CancellationToken cancellationToken)
    {
        _restoreOptions = restoreOptions;
        _resolver = resolver;
        _control = control;
        _dumpDirectory = dumpDirectory;
        _iteration = iteration;
        _pid = pid;
        _hooks = hooks;
        _handOver = new SourceHandOver(control, iteration, pid, trees, hooks);
        _cancellationToken = cancellationToken;
    }

    /// <summary>The destination's answer after a successful hand-over.</summary>
    public RestoredTree? Restored { get; private set; }

    /// <summary>
    /// Why the transfer or the hand-over failed (a <see cref="TransportException"/>, a <see cref="HandOverInDoubtException"/>,
    /// or the <see cref="OperationCanceledException"/> of a cancelled migration); CRIU then resumes the tree on the source.
    /// </summary>
    public Exception? Failure { get; private set; }

    /// <summary>The phases after the post-dump notification, once the destination said the tree runs; <see langword="null"/> before.</summary>
    public (TimeSpan ImageTransfer, TimeSpan Restore, TimeSpan HandOver)? Phases { get; private set; }

    /// <summary>Whether this end stopped its copy for the commit: after a failure, a tree to continue or, in doubt, to leave stopped.</summary>
    public bool SourceStopped => _handOver.SourceStopped;

    /// <inheritdoc/>
    public override async Task PostDumpAsync()
    {
        try
        {
            var result = await _control.ExclusiveAsync(TransferAndHandOverAsync, _cancellationToken).ConfigureAwait(false);
            Restored = Accept(result);
        }
        catch (Exception e)
        {
            Failure = e is TransportException or OperationCanceledException or HandOverInDoubtException
                ? e
                : new TransportException(TransportSide.Source, TransportPhase.ImageTransfer, e.Message, _iteration,
                                         _control.Channel.PeerEndPoint, e);
            _control.Logger.FinalStageFailed(Failure);
            if (Failure is not HandOverInDoubtException)
                _control.Report(new(MigrationProgressKind.SourceResumed) { Detail = Failure.Message });
            if (ReferenceEquals(Failure, e))
                throw;
            throw Failure;
        }
    }

    /// <summary>Streams the images, hands the tree over, and returns the destination's final answer.</summary>
    private async Task<(RestoreResult Result, TransferTotals Totals, TimeSpan Elapsed)> TransferAndHandOverAsync()
    {
        var channel = _control.Channel;
        var elapsed = Stopwatch.StartNew();
        var totals = await ImageSender.SendDirectoryAsync(channel, _dumpDirectory, _iteration, _cancellationToken).ConfigureAwait(false);
        var request = new RestoreRequest { FileCount = (uint)totals.Files, TotalBytes = (ulong)totals.Bytes, CriuOpts = _restoreOptions };
        await channel.SendAsync(new Envelope { RestoreRequest = request }, TransportPhase.Restore, _cancellationToken, _iteration).ConfigureAwait(false);
        _control.Logger.ImagesSent(totals.Files, totals.Bytes, elapsed.ElapsedMilliseconds);
        _control.Report(new(MigrationProgressKind.ImagesSent) { Files = totals.Files, Bytes = totals.Bytes });
        var imagesSent = elapsed.Elapsed;
        await _hooks.ReachedAsync(HandOverStep.RestoreRequested).ConfigureAwait(false);

        var prepared = await _handOver.AwaitPreparedAsync(_cancellationToken).ConfigureAwait(false);
        if (prepared.RestoreResult is { } failedRestore)
            return (failedRestore, totals, elapsed.Elapsed);
        var restoredPid = prepared.RestorePrepared.Pid;
        var held = elapsed.Elapsed;
        await _handOver.CommitAsync(restoredPid).ConfigureAwait(false);
        var resumed = await AwaitResumedAsync(restoredPid).ConfigureAwait(false);
        var total = elapsed.Elapsed;
        Phases = (imagesSent, held - imagesSent, total - held);
        return (resumed, totals, total);
    }

    /// <summary>
    /// The destination's answer to the commit. An abort is an answer too: the destination sends one only once its copy
    /// cannot run. Without an answer, the destination is asked over a new connection how the hand-over ended; only
    /// when that fails too can the source not know where the tree runs.
    /// </summary>
    private async Task<RestoreResult> AwaitResumedAsync(int restoredPid)
    {
        var channel = _control.Channel;
        Envelope answer;
        try
        {
            answer = await channel.ReceiveAnyAsync(TransportPhase.HandOver, _control.Timeouts.HandOver, CancellationToken.None, _iteration)
                                  .ConfigureAwait(false);
        }
        catch (TransportException unanswered)
        {
            _control.ExpectLateHandOverAnswer();
            return await _resolver.TryResolveAsync().ConfigureAwait(false) switch
            {
                true => new RestoreResult { Pid = restoredPid },
                false => throw new TransportException(TransportSide.Destination, TransportPhase.HandOver,
                             $"{unanswered.Reason}; asked again, the destination said it did not resume the tree", _iteration, channel.PeerEndPoint, unanswered),
                null => throw new HandOverInDoubtException(_pid, channel.PeerEndPoint,
                            $"{unanswered.Reason}, and asking again failed for {_control.Timeouts.HandOver.TotalSeconds:0.###} s", unanswered),
            };
        }
        return answer.BodyCase switch
        {
            Envelope.BodyOneofCase.RestoreResult => answer.RestoreResult,
            Envelope.BodyOneofCase.Abort => throw channel.Aborted(answer.Abort, TransportPhase.HandOver, _iteration),
            _ => throw new HandOverInDoubtException(_pid, channel.PeerEndPoint, $"the destination answered the commit with {answer.BodyCase}",
                                                    channel.Unexpected(answer, "RestoreResult", TransportPhase.HandOver, _iteration)),
        };
    }

    private RestoredTree Accept((RestoreResult Result, TransferTotals Totals, TimeSpan Elapsed) answer)
    {
        var (result, totals, elapsed) = answer;
        var channel = _control.Channel;
        if (result.Error.Length > 0)
            throw new TransportException(TransportSide.Destination, TransportPhase.Restore, result.Error, _iteration, channel.PeerEndPoint);
        if (result.Pid <= 0)
            throw new HandOverInDoubtException(_pid, channel.PeerEndPoint, $"the destination answered the commit with an invalid pid {result.Pid}", null);
        _control.Logger.RemoteRestored(result.Pid, (long)elapsed.TotalMilliseconds);
        _control.Report(new(MigrationProgressKind.Restored) { Pid = result.Pid });
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
