using Microsoft.Extensions.Logging;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The source's end of an authenticated control connection, shared by the remote proxy and the
/// final stage: one request at a time, each answer awaited with the reply deadline.
/// </summary>
internal sealed class SourceControl : IDisposable
{
    // How long a probe waits for a sign of a vanished destination; an abort or a close is already there.
    private static readonly TimeSpan ProbeWait = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private int _nextIteration;

    // The answer to a commit that came too late and was settled by asking: it may still arrive, before the next answer.
    private bool _lateHandOverAnswer;

    // Why an exchange failed half-way, if one did: the connection is out of step from then on (a late
    // answer would be read as the answer to the next request), so every later request fails.
    private TransportException? _broken;

    public SourceControl(FrameChannel channel, TransportTimeouts timeouts, ILogger logger, IProgress<MigrationProgress>? progress)
    {
        Channel = channel;
        Timeouts = timeouts;
        Logger = logger;
        Progress = progress;
    }

    /// <summary>The embedder's progress sink for the final stage's steps, if any.</summary>
    public IProgress<MigrationProgress>? Progress { get; }

    public void Report(MigrationProgress progress) => Progress.ReportSafely(progress, Logger);

    public FrameChannel Channel { get; }

    public TransportTimeouts Timeouts { get; }

    public ILogger Logger { get; }

    /// <summary>The iteration the destination started last, or <see langword="null"/> before the first.</summary>
    public int? CurrentIteration { get; private set; }

    /// <summary>Numbers the next iteration; numbers are not reused, even after a failed start.</summary>
    public int TakeIterationNumber() => _nextIteration++;

    public void MarkStarted(int iteration) => CurrentIteration = iteration;

    /// <summary>Sends a request and receives its answer, holding the connection for both.</summary>
    public async Task<Envelope> RequestAsync(Envelope request, Envelope.BodyOneofCase answer, TransportPhase phase, int? iteration,
                                             CancellationToken cancellationToken) =>
        await ExclusiveAsync(async () =>
        {
            await Channel.SendAsync(request, phase, cancellationToken, iteration).ConfigureAwait(false);
            if (_lateHandOverAnswer)
                return await ReceivePastLateAnswerAsync(answer, phase, iteration, cancellationToken).ConfigureAwait(false);
            return await Channel.ReceiveAsync(answer, phase, Timeouts.Reply, cancellationToken, iteration).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>The answer to a commit stopped being awaited (the destination was asked instead): skip it if it comes.</summary>
    public void ExpectLateHandOverAnswer() => _lateHandOverAnswer = true;

    private async Task<Envelope> ReceivePastLateAnswerAsync(Envelope.BodyOneofCase answer, TransportPhase phase, int? iteration,
                                                            CancellationToken cancellationToken)
    {
        _lateHandOverAnswer = false;
        var first = await Channel.ReceiveAnyAsync(phase, Timeouts.Reply, cancellationToken, iteration).ConfigureAwait(false);
        if (first.BodyCase == Envelope.BodyOneofCase.RestoreResult && answer != Envelope.BodyOneofCase.RestoreResult)
            return await Channel.ReceiveAsync(answer, phase, Timeouts.Reply, cancellationToken, iteration).ConfigureAwait(false);
        return first.BodyCase == answer ? first
            : first.BodyCase == Envelope.BodyOneofCase.Abort ? throw Channel.Aborted(first.Abort, phase, iteration)
            : throw Channel.Unexpected(first, answer.ToString(), phase, iteration);
    }

    /// <summary>Runs a multi-message exchange with the connection held; a failure in it breaks the connection.</summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> exchange, CancellationToken cancellationToken)
    {
        using var use = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await exchange().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            use.Break(e);
            throw;
        }
    }

    /// <summary>
    /// Holds the connection for an exchange the caller drives message by message (an extension's stream) until the
    /// returned hold is disposed; the caller reports a failure that puts the connection out of step with <see cref="Hold.Break"/>.
    /// </summary>
    /// <exception cref="TransportException">An earlier exchange broke the connection.</exception>
    public async Task<Hold> AcquireAsync(CancellationToken cancellationToken)
    {
        await _exclusive.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_broken is { } broken)
        {
            _exclusive.Release();
            throw new TransportException(broken.Side, broken.Phase, $"the control connection is unusable since an earlier step failed: {broken.Reason}",
                                         broken.Iteration, broken.EndPoint, broken);
        }
        return new Hold(this);
    }

    /// <summary>The connection held by one exchange; disposing lets the next one have it.</summary>
    public sealed class Hold(SourceControl owner) : IDisposable
    {
        private int _released;

        /// <summary>The exchange failed half-way: every later request fails, naming <paramref name="failure"/>.</summary>
        public void Break(Exception failure) =>
            owner._broken ??= failure as TransportException
                              ?? new TransportException(TransportSide.Source, TransportPhase.AwaitingRequest, failure.Message, owner.CurrentIteration,
                                                        owner.Channel.PeerEndPoint, failure);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                owner._exclusive.Release();
        }
    }

    /// <summary>
    /// Looks, briefly, for a sign that the destination went away: its abort, or the end of the
    /// connection. The destination sends nothing unasked, so anything there means it is gone.
    /// </summary>
    /// <returns>What the destination said or did, or <see langword="null"/> when it seems alive.</returns>
    public async Task<string?> ProbeDestinationGoneAsync()
    {
        await _exclusive.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_broken is not null)
                return null;
            var message = await Channel.TryReceiveAsync(TransportPhase.FinalDump, ProbeWait, CancellationToken.None).ConfigureAwait(false);
            var gone = message switch
            {
                null => "the destination closed the connection",
                { BodyCase: Envelope.BodyOneofCase.Abort } => $"the destination gave up: {message.Abort.Reason}",
                _ => $"the destination sent {message.BodyCase} unasked",
            };
            _broken = Channel.Failure(TransportPhase.FinalDump, gone, CurrentIteration);
            return gone;
        }
        catch (TransportException e) when (e.InnerException is TimeoutException)
        {
            return null;
        }
        catch (TransportException e)
        {
            _broken = e;
            return e.Reason;
        }
        finally
        {
            _exclusive.Release();
        }
    }

    public void Dispose() => _exclusive.Dispose();
}
