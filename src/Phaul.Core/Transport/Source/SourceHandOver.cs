using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The source's half of the hand-over, for a plain or a lazy restore: waits for the destination to hold its restored
/// copy (RestorePrepared), stops this end's copy, and only then commits. See docs/handover.md.
/// </summary>
internal sealed class SourceHandOver(SourceControl control, int iteration, int sourcePid, IProcessTrees trees, HandOverHooks hooks)
{
    /// <summary>Whether this end stopped its copy for the commit: after a failure, a tree to continue or, in doubt, to leave stopped.</summary>
    public bool SourceStopped { get; private set; }

    private FrameChannel Channel => control.Channel;

    /// <summary>
    /// The destination's RestorePrepared, or its RestoreResult when the restore failed before. Cancelling aborts the
    /// hand-over: no commit has left, so the destination's copy cannot run, and it kills that copy on the abort.
    /// </summary>
    public async Task<Envelope> AwaitPreparedAsync(CancellationToken cancellationToken)
    {
        try
        {
            var answer = await Channel.ReceiveAnyAsync(TransportPhase.Restore, control.Timeouts.Reply, cancellationToken, iteration)
                                      .ConfigureAwait(false);
            return answer.BodyCase switch
            {
                Envelope.BodyOneofCase.RestorePrepared when answer.RestorePrepared.Pid > 0 => answer,
                Envelope.BodyOneofCase.RestoreResult when answer.RestoreResult.Error.Length > 0 => answer,
                Envelope.BodyOneofCase.Abort => throw Channel.Aborted(answer.Abort, TransportPhase.Restore, iteration),
                _ => throw Channel.Unexpected(answer, "RestorePrepared with a pid, or a failed RestoreResult", TransportPhase.Restore, iteration),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Channel.TryAbortAsync("the migration was cancelled on the source before the hand-over", TransportPhase.HandOver,
                                        CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Stops this end's copy, then tells the destination to resume its own. Not cancellable: the tree runs on the
    /// destination as soon as the commit arrives there.
    /// </summary>
    public async Task CommitAsync(int restoredPid)
    {
        await hooks.ReachedAsync(HandOverStep.Prepared).ConfigureAwait(false);
        var stopped = trees.Stop(sourcePid);
        SourceStopped = true;
        control.Logger.SourceStoppedForHandOver(sourcePid, stopped, restoredPid);
        await hooks.ReachedAsync(HandOverStep.SourceStopped).ConfigureAwait(false);
        // A send that fails never reached the destination's socket: its copy stays held, and is killed.
        await Channel.SendAsync(new Envelope { HandOverCommit = new HandOverCommit() }, TransportPhase.HandOver, CancellationToken.None, iteration)
                     .ConfigureAwait(false);
        await hooks.ReachedAsync(HandOverStep.CommitSent).ConfigureAwait(false);
    }
}
