namespace Phaul.Transport;

/// <summary>
/// A remote migration step failed. Says which side failed, in which step and iteration, and
/// (when known) the peer's address, so an operator can tell a broken network from a failed restore.
/// </summary>
public class TransportException : Exception
{
    /// <summary>Creates an exception for a failed step.</summary>
    /// <param name="side">The side that failed.</param>
    /// <param name="phase">The step that failed.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="iteration">The migration iteration, when the step belongs to one.</param>
    /// <param name="endPoint">The peer's address, when known.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public TransportException(TransportSide side, TransportPhase phase, string message, int? iteration = null,
                              string? endPoint = null, Exception? innerException = null)
        : base(Compose(side, phase, message, iteration, endPoint), innerException)
    {
        Side = side;
        Phase = phase;
        Iteration = iteration;
        EndPoint = endPoint;
        Reason = message;
    }

    /// <summary>The side that failed.</summary>
    public TransportSide Side { get; }

    /// <summary>The step that failed.</summary>
    public TransportPhase Phase { get; }

    /// <summary>The migration iteration the step belongs to, or <see langword="null"/>.</summary>
    public int? Iteration { get; }

    /// <summary>The peer's address, or <see langword="null"/> when unknown.</summary>
    public string? EndPoint { get; }

    /// <summary>What went wrong, without the side and step prefix.</summary>
    public string Reason { get; }

    private static string Compose(TransportSide side, TransportPhase phase, string message, int? iteration,
                                  string? endPoint)
    {
        var where = iteration is { } n ? $"{side} {phase} (iteration {n})" : $"{side} {phase}";
        var peer = endPoint is null ? "" : $" [peer {endPoint}]";
        return $"{where} failed{peer}: {message}";
    }
}
