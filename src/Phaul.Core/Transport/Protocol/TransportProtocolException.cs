namespace Phaul.Transport;

/// <summary>
/// The peer sent bytes that are not a well-formed message of Phaul's transport protocol: a
/// truncated or oversized frame, an unknown or malformed message, or a message out of order.
/// </summary>
internal sealed class TransportProtocolException : IOException
{
    /// <summary>Creates an exception describing the malformed traffic.</summary>
    /// <param name="message">What was wrong with it.</param>
    /// <param name="innerException">The decoder's error, if any.</param>
    public TransportProtocolException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
