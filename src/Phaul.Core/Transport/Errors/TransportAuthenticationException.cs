namespace Phaul.Transport;

/// <summary>
/// A peer could not prove it holds the pre-shared key, or refused ours: the keys differ or someone
/// else answered. Nothing but the handshake was exchanged.
/// </summary>
public sealed class TransportAuthenticationException : TransportException
{
    /// <summary>Creates an exception for a failed authentication.</summary>
    /// <param name="side">The side whose proof failed.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="endPoint">The peer's address, when known.</param>
    public TransportAuthenticationException(TransportSide side, string message, string? endPoint = null)
        : base(side, TransportPhase.Authentication, message, endPoint: endPoint)
    {
    }
}
