using System.Diagnostics;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination's <c>PhaulServer</c> as the source's migration loop sees it: StartIter and
/// StopIter travel over the control connection and return when the destination answered. For
/// post-copy, StopIter of a lazy iteration ends it on the destination: the final stage has waited for
/// every page already, and a tree whose pages did not all arrive is killed there.
/// </summary>
internal sealed class PhaulServerProxy : IPhaulPostCopyRemote, IDestinationMemoryReport, ILinkProbe
{
    private readonly SourceControl _control;

    // The destination's answer to the post-copy check, which carries its memory accounting too: the strategy choice
    // asks for both moments apart, and one round trip answers both.
    private CheckPostCopyResult? _lastCheck;

    public PhaulServerProxy(SourceControl control) => _control = control;

    /// <inheritdoc/>
    /// <exception cref="TransportException">The destination could not start the iteration, or the connection failed.</exception>
    public Task StartIterAsync(CancellationToken cancellationToken = default) => StartAsync(lazy: false, 0, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="TransportException">The destination lacks the space or could not start the iteration, or the connection failed.</exception>
    public Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken = default) =>
        StartAsync(lazy: false, expectedBytes, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="TransportException">The destination could not start the lazy iteration, or the connection failed.</exception>
    public Task StartLazyIterAsync(CancellationToken cancellationToken = default) => StartAsync(lazy: true, 0, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="TransportException">The connection failed, or the destination answered something else.</exception>
    public async Task<string?> WhyPostCopyUnavailableAsync(CancellationToken cancellationToken = default)
    {
        var result = await CheckPostCopyAsync(cancellationToken).ConfigureAwait(false);
        if (result.Available)
            return null;
        return result.Reason.Length > 0
            ? result.Reason
            : $"the destination {_control.Channel.PeerEndPoint} cannot restore with lazy pages and gave no reason";
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The settings come with the post-copy check's answer (since protocol version 7): the last one, or a new check
    /// when there was none on this connection.
    /// </remarks>
    /// <exception cref="TransportException">The connection failed, or the destination answered something else.</exception>
    public async Task<DestinationMemory?> ReadDestinationMemoryAsync(CancellationToken cancellationToken)
    {
        var result = _lastCheck ?? await CheckPostCopyAsync(cancellationToken).ConfigureAwait(false);
        return result.MemoryReported
            ? new DestinationMemory(result.OvercommitMemory, (long)result.RamAndSwapBytes, (long)result.CommitLimitBytes, (long)result.CommittedBytes)
            : null;
    }

    /// <inheritdoc/>
    /// <exception cref="TransportException">The connection failed, or the destination answered something else.</exception>
    public Task<LinkMeasurement> MeasureLinkAsync(bool bandwidth, CancellationToken cancellationToken) =>
        new LinkProber(_control).MeasureAsync(bandwidth, cancellationToken);

    private async Task<CheckPostCopyResult> CheckPostCopyAsync(CancellationToken cancellationToken)
    {
        var iteration = _control.CurrentIteration ?? 0;
        var request = new Envelope { CheckPostCopyRequest = new CheckPostCopyRequest() };
        _lastCheck = (await _control.RequestAsync(request, Envelope.BodyOneofCase.CheckPostCopyResult, TransportPhase.CheckPostCopy,
                                                  iteration, cancellationToken).ConfigureAwait(false)).CheckPostCopyResult;
        return _lastCheck;
    }

    private async Task StartAsync(bool lazy, long expectedBytes, CancellationToken cancellationToken)
    {
        var iteration = _control.TakeIterationNumber();
        var started = Stopwatch.StartNew();
        var request = new Envelope
        {
            StartIterRequest = new StartIterRequest { Iteration = (uint)iteration, Lazy = lazy, ExpectedBytes = (ulong)Math.Max(expectedBytes, 0) },
        };
        var result = (await _control.RequestAsync(request, Envelope.BodyOneofCase.StartIterResult, TransportPhase.StartIteration,
                                                  iteration, cancellationToken).ConfigureAwait(false)).StartIterResult;
        ThrowIfFailed(result.Error, TransportPhase.StartIteration, iteration);
        _control.MarkStarted(iteration);
        _control.Logger.RequestAcknowledged(iteration, lazy ? "StartLazyIter" : "StartIter", started.ElapsedMilliseconds);
    }

    /// <inheritdoc/>
    /// <exception cref="TransportException">The destination's page server failed, or the connection failed.</exception>
    public async Task StopIterAsync(CancellationToken cancellationToken = default)
    {
        var iteration = _control.CurrentIteration
                        ?? throw new InvalidOperationException("StopIterAsync was called before any StartIterAsync succeeded.");
        var started = Stopwatch.StartNew();
        var request = new Envelope { StopIterRequest = new StopIterRequest { Iteration = (uint)iteration } };
        var result = (await _control.RequestAsync(request, Envelope.BodyOneofCase.StopIterResult, TransportPhase.StopIteration,
                                                  iteration, cancellationToken).ConfigureAwait(false)).StopIterResult;
        ThrowIfFailed(result.Error, TransportPhase.StopIteration, iteration);
        _control.Logger.RequestAcknowledged(iteration, "StopIter", started.ElapsedMilliseconds);
    }

    private void ThrowIfFailed(string error, TransportPhase phase, int iteration)
    {
        if (error.Length > 0)
            throw new TransportException(TransportSide.Destination, phase, error, iteration, _control.Channel.PeerEndPoint);
    }
}
