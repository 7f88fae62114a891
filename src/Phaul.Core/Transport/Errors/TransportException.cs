namespace Phaul.Transport;

/// <summary>
/// A remote migration step failed. Says which side failed, in which step and iteration, and
/// (when known) the peer's address, so an operator can tell a broken network from a failed restore.
/// </summary>
/// <remarks>
/// A <see cref="Phase"/> of <see cref="TransportPhase.Authentication"/> means the two ends did not authenticate each
/// other: one could not prove it holds the pre-shared key (the key files differ, another service answered, or a relay
/// in the middle runs its own TLS), or the destination refused the source after the proof (the message says why).
/// Nothing but the handshake was exchanged, so no process was touched.
/// </remarks>
public class TransportException : Exception
{
    /// <summary>Creates an exception for a failed step.</summary>
    /// <param name="side">The side that failed.</param>
    /// <param name="phase">The step that failed.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="iteration">The migration iteration, when the step belongs to one.</param>
    /// <param name="endPoint">The peer's address, when known.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    internal TransportException(TransportSide side, TransportPhase phase, string message, int? iteration = null,
                                string? endPoint = null, Exception? innerException = null)
        : base(Compose(side, phase, message, iteration, endPoint), innerException)
    {
        Side = side;
        Phase = phase;
        Iteration = iteration;
        EndPoint = endPoint;
        Reason = message;
    }

    /// <summary>
    /// Whether the step failed on the destination (or the destination could not be reached, or broke off) rather than
    /// on the source. The message starts with the side, "Destination" or "Source".
    /// </summary>
    public bool FailedOnDestination => Side == TransportSide.Destination;

    /// <summary>The step that failed.</summary>
    public TransportPhase Phase { get; }

    /// <summary>The migration iteration the step belongs to, or <see langword="null"/>.</summary>
    public int? Iteration { get; }

    /// <summary>The peer's address, or <see langword="null"/> when unknown.</summary>
    public string? EndPoint { get; }

    /// <summary>What went wrong, without the side and step prefix.</summary>
    public string Reason { get; }

    /// <summary>The side that failed.</summary>
    internal TransportSide Side { get; }

    private static string Compose(TransportSide side, TransportPhase phase, string message, int? iteration,
                                  string? endPoint)
    {
        var where = iteration is { } n ? $"{side} {phase} (iteration {n})" : $"{side} {phase}";
        var peer = endPoint is null ? "" : $" [peer {endPoint}]";
        return $"{where} failed{peer}: {message}";
    }
}
