using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// CRIU's RPC peer broke the protocol: a message that does not parse, one larger than any CRIU
/// sends, or a response to a different request. The session is closed; CRIU is killed.
/// </summary>
internal sealed class CriuProtocolException : CriuException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="requestType">The request that was being served.</param>
    /// <param name="message">What was wrong with the message.</param>
    /// <param name="innerException">The parse error, if any.</param>
    public CriuProtocolException(CriuReqType requestType, string message, Exception? innerException = null)
        : base(requestType, message, innerException: innerException)
    {
    }
}
