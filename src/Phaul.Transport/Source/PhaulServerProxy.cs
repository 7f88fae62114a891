using System.Diagnostics;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination's <c>PhaulServer</c> as the source's migration loop sees it: StartIter and
/// StopIter travel over the control connection and return when the destination answered.
/// </summary>
internal sealed class PhaulServerProxy : IPhaulRemote
{
    private readonly SourceControl _control;

    public PhaulServerProxy(SourceControl control) => _control = control;

    /// <inheritdoc/>
    /// <exception cref="TransportException">The destination could not start the iteration, or the connection failed.</exception>
    public async Task StartIterAsync(CancellationToken cancellationToken = default)
    {
        var iteration = _control.TakeIterationNumber();
        var started = Stopwatch.StartNew();
        var request = new Envelope { StartIterRequest = new StartIterRequest { Iteration = (uint)iteration } };
        var result = (await _control.RequestAsync(request, Envelope.BodyOneofCase.StartIterResult, TransportPhase.StartIteration,
                                                  iteration, cancellationToken).ConfigureAwait(false)).StartIterResult;
        ThrowIfFailed(result.Error, TransportPhase.StartIteration, iteration);
        _control.MarkStarted(iteration);
        _control.Logger.RequestAcknowledged(iteration, "StartIter", started.ElapsedMilliseconds);
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
