using System.Diagnostics;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination of a post-copy final stage across the network. The images and the start of the
/// lazy-pages daemon travel inside the source's post-dump notification; the restore request after it.
/// The restore is handed over as in stop-and-copy: the destination holds its restored copy stopped
/// (RestorePrepared), the source stops its own and commits, and only the commit lets the destination's
/// copy run. A failure before the commit left means the destination's copy cannot run: the source's
/// continues. After it, the source cannot tell from a broken connection whether the tree runs there,
/// and its copy is stale once it did: that is reported as a loss (<see cref="ProcessLostException"/>),
/// so the stage kills the source's stopped copy instead of running the tree twice.
/// </summary>
internal sealed class RemoteLazyDestination : ILazyDestination
{
    private readonly SourceControl _control;
    private readonly int _iteration;
    private readonly MigrationConnectionOptions _options;
    private readonly SourceHandOver _handOver;
    private readonly Stopwatch _sinceImages = new();
    private TransferTotals _totals = new(0, 0);

    /// <param name="control">The control connection.</param>
    /// <param name="iteration">The lazy iteration the destination started.</param>
    /// <param name="sourcePid">The source's tree, stopped before the commit.</param>
    /// <param name="options">The test seams (<c>AfterLazyRestore</c>, hand-over hooks) and how to signal the source's tree.</param>
    public RemoteLazyDestination(SourceControl control, int iteration, int sourcePid, MigrationConnectionOptions options)
    {
        _control = control;
        _iteration = iteration;
        _options = options;
        _handOver = new SourceHandOver(control, iteration, sourcePid, options.Dependencies.Trees, options.HandOverHooks);
    }

    /// <summary>The destination's answer once the tree runs there; <see langword="null"/> before.</summary>
    public RestoredTree? Restored { get; private set; }

    private FrameChannel Channel => _control.Channel;

    public async Task StartAsync(string dumpDirectory, CancellationToken cancellationToken)
    {
        _sinceImages.Start();
        var result = await _control.ExclusiveAsync(async () =>
        {
            _totals = await ImageSender.SendDirectoryAsync(Channel, dumpDirectory, _iteration, cancellationToken).ConfigureAwait(false);
            var request = new LazyPagesRequest { FileCount = (uint)_totals.Files, TotalBytes = (ulong)_totals.Bytes };
            await Channel.SendAsync(new Envelope { LazyPagesRequest = request }, TransportPhase.PostCopyPages, cancellationToken, _iteration).ConfigureAwait(false);
            _control.Logger.ImagesSent(_totals.Files, _totals.Bytes, _sinceImages.ElapsedMilliseconds);
            _control.Report(new(MigrationProgressKind.ImagesSent) { Files = _totals.Files, Bytes = _totals.Bytes });
            return (await Channel.ReceiveAsync(Envelope.BodyOneofCase.LazyPagesResult, TransportPhase.PostCopyPages, _control.Timeouts.Reply,
                                               cancellationToken, _iteration).ConfigureAwait(false)).LazyPagesResult;
        }, cancellationToken).ConfigureAwait(false);
        if (result.Error.Length > 0)
            throw DestinationFailure(TransportPhase.PostCopyPages, $"the destination could not start its lazy-pages daemon: {result.Error}");
    }

    public async Task<int> RestoreAsync(CancellationToken cancellationToken)
    {
        var result = await _control.ExclusiveAsync(() => RequestRestoreAsync(cancellationToken), cancellationToken).ConfigureAwait(false);
        if (result.LostPid > 0)
            throw new ProcessLostException(result.LostPid, $"the destination lost it: {result.Error}");
        if (result.Error.Length > 0)
            throw DestinationFailure(TransportPhase.Restore, result.Error);
        if (result.Pid <= 0)
            throw new ProcessLostException($"the destination answered with an invalid pid {result.Pid}", null);
        Restored = new RestoredTree(result.Pid, TransferOnPostDump.ParseStats(result.RestoreStats, _control.Logger), _totals.Files,
                                    _totals.Bytes, _sinceImages.Elapsed);
        _control.Logger.RemoteRestored(result.Pid, _sinceImages.ElapsedMilliseconds);
        _options.AfterLazyRestore?.Invoke();
        return result.Pid;
    }

    /// <summary>
    /// Asks for the lazy restore and hands the tree over. Until the commit left, a failure is the destination's (its
    /// copy is killed without the commit); cancelling aborts. From the commit on, nothing cancels the wait.
    /// </summary>
    private async Task<RestoreResult> RequestRestoreAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Channel.SendAsync(new Envelope { LazyRestoreRequest = new LazyRestoreRequest { CriuOpts = _options.RestoreOptionsOnWire } }, TransportPhase.Restore,
                                cancellationToken, _iteration).ConfigureAwait(false);
        var prepared = await _handOver.AwaitPreparedAsync(cancellationToken).ConfigureAwait(false);
        if (prepared.RestoreResult is { } failedRestore)
            return failedRestore;
        await _handOver.CommitAsync(prepared.RestorePrepared.Pid).ConfigureAwait(false);
        try
        {
            return (await Channel.ReceiveAsync(Envelope.BodyOneofCase.RestoreResult, TransportPhase.HandOver, _control.Timeouts.HandOver,
                                               CancellationToken.None, _iteration).ConfigureAwait(false)).RestoreResult;
        }
        catch (TransportException e) when (e.InnerException is not ObjectDisposedException)
        {
            throw new ProcessLostException($"the connection failed after the commit, before the destination's answer came ({e.Reason})", e);
        }
    }

    public async Task<LazyPagesStatistics> WaitForPagesAsync(CancellationToken cancellationToken)
    {
        var request = new Envelope { WaitPagesRequest = new WaitPagesRequest() };
        var result = (await _control.RequestAsync(request, Envelope.BodyOneofCase.WaitPagesResult, TransportPhase.PostCopyPages, _iteration,
                                                  cancellationToken).ConfigureAwait(false)).WaitPagesResult;
        if (result.LostPid > 0)
            throw new ProcessLostException(result.LostPid, $"the destination lost it: {result.Error}");
        if (result.Error.Length > 0)
            throw DestinationFailure(TransportPhase.PostCopyPages, result.Error);
        return LazyPagesWire.FromWire(result.Pages);
    }

    private TransportException DestinationFailure(TransportPhase phase, string error) =>
        new(TransportSide.Destination, phase, error, _iteration, Channel.PeerEndPoint);
}
