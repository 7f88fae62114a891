using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// Sends and receives frames on one connection with a deadline on every read, turning each
/// failure into a <see cref="TransportException"/> that names the peer's side and the step.
/// The caller owns the underlying stream.
/// </summary>
internal sealed class FrameChannel
{
    // An abort reason is the peer's text, shown in logs and messages: escaped and bounded.
    private const int MaxAbortReasonLength = 1000;

    private readonly Stream _stream;

    public FrameChannel(Stream stream, TransportSide peer, string peerEndPoint)
    {
        _stream = stream;
        Peer = peer;
        PeerEndPoint = peerEndPoint;
    }

    /// <summary>The side at the other end.</summary>
    public TransportSide Peer { get; }

    /// <summary>This end's side: the one that is not <see cref="Peer"/>.</summary>
    public TransportSide Self => Peer == TransportSide.Source ? TransportSide.Destination : TransportSide.Source;

    /// <summary>The other end's address, for messages.</summary>
    public string PeerEndPoint { get; }

    /// <summary>The largest frame accepted; small until the peer is authenticated.</summary>
    public int MaxFrameLength { get; set; } = FrameCodec.HandshakeMaxFrameLength;

    /// <summary>Sends one message.</summary>
    public async ValueTask SendAsync(Envelope envelope, TransportPhase phase, CancellationToken cancellationToken,
                                     int? iteration = null)
    {
        try
        {
            await FrameCodec.WriteAsync(_stream, envelope, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw Failure(phase, $"the connection to the {Describe(Peer)} broke while sending {envelope.BodyCase}: {e.Message}", iteration, e);
        }
        catch (ObjectDisposedException e)
        {
            throw Failure(phase, $"the connection to the {Describe(Peer)} is closed", iteration, e);
        }
    }

    /// <summary>Receives one message of the expected kind; an <see cref="Abort"/> becomes an exception.</summary>
    public async Task<Envelope> ReceiveAsync(Envelope.BodyOneofCase expected, TransportPhase phase, TimeSpan timeout,
                                             CancellationToken cancellationToken, int? iteration = null)
    {
        var envelope = await ReceiveAnyAsync(phase, timeout, cancellationToken, iteration).ConfigureAwait(false);
        if (envelope.BodyCase == expected)
            return envelope;
        if (envelope.BodyCase == Envelope.BodyOneofCase.Abort)
            throw Aborted(envelope.Abort, phase, iteration);
        throw Unexpected(envelope, expected.ToString(), phase, iteration);
    }

    /// <summary>The exception for an <see cref="Abort"/> the peer sent, in the step the peer named if any.</summary>
    public TransportException Aborted(Abort abort, TransportPhase phase, int? iteration = null) =>
        Failure(Enum.TryParse<TransportPhase>(abort.Phase, out var peerPhase) ? peerPhase : phase,
                $"the {Describe(Peer)} gave up: {PeerText.Escape(abort.Reason, MaxAbortReasonLength)}", iteration);

    /// <summary>Receives one message of any kind, an <see cref="Abort"/> included.</summary>
    public async Task<Envelope> ReceiveAnyAsync(TransportPhase phase, TimeSpan timeout, CancellationToken cancellationToken,
                                                int? iteration = null) =>
        await TryReceiveAsync(phase, timeout, cancellationToken, iteration).ConfigureAwait(false)
        ?? throw Failure(phase, $"the {Describe(Peer)} closed the connection", iteration);

    /// <summary>Receives one message of any kind; <see langword="null"/> when the peer closed the connection between messages.</summary>
    public async Task<Envelope?> TryReceiveAsync(TransportPhase phase, TimeSpan timeout, CancellationToken cancellationToken,
                                                 int? iteration = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await FrameCodec.ReadAsync(_stream, MaxFrameLength, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var silence = $"no message from the {Describe(Peer)} within {timeout.TotalSeconds:0.###} s";
            throw Failure(phase, silence, iteration, new TimeoutException(silence));
        }
        catch (TransportProtocolException e)
        {
            throw Failure(phase, $"the {Describe(Peer)} broke the protocol: {e.Message}", iteration, e);
        }
        catch (IOException e)
        {
            throw Failure(phase, $"the connection to the {Describe(Peer)} broke: {e.Message}", iteration, e);
        }
    }

    /// <summary>Tells the peer why this end gives up; best effort, since the connection may be gone already.</summary>
    public async Task TryAbortAsync(string reason, TransportPhase phase, CancellationToken cancellationToken)
    {
        try
        {
            var abort = new Abort { Reason = reason, Phase = phase.ToString() };
            await FrameCodec.WriteAsync(_stream, new Envelope { Abort = abort }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer is gone or the caller gave up; the exception the caller throws says why.
        }
    }

    /// <summary>An exception for a message that does not belong at this point of the exchange.</summary>
    public TransportException Unexpected(Envelope envelope, string expected, TransportPhase phase, int? iteration = null) =>
        Failure(phase, $"the {Describe(Peer)} broke the protocol: expected {expected}, got {envelope.BodyCase}", iteration,
                new TransportProtocolException($"Unexpected message {envelope.BodyCase} while expecting {expected}."));

    /// <summary>An exception blaming the peer for a failed step.</summary>
    public TransportException Failure(TransportPhase phase, string message, int? iteration = null, Exception? inner = null) =>
        new(Peer, phase, message, iteration, PeerEndPoint, inner);

    /// <summary>"source" or "destination", for messages.</summary>
    public static string Describe(TransportSide side) => side == TransportSide.Source ? "source" : "destination";
}
