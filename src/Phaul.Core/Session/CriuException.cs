using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// CRIU failed a request. Carries what CRIU said (its errno and message) and the end of its log,
/// because CRIU's message is the first error it logged, which is rarely the cause.
/// </summary>
public class CriuException : Exception
{
    /// <summary>Creates an exception for a failed request.</summary>
    /// <param name="requestType">The request CRIU failed.</param>
    /// <param name="message">What went wrong, in Phaul's words.</param>
    /// <param name="criuErrno">CRIU's <c>cr_errno</c>, when it sent one.</param>
    /// <param name="criuMessage">CRIU's <c>cr_errmsg</c>, when it sent one.</param>
    /// <param name="logTail">The last lines of CRIU's log file, when one was set and readable.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public CriuException(CriuReqType requestType, string message, int? criuErrno = null, string? criuMessage = null,
                         IReadOnlyList<string>? logTail = null, Exception? innerException = null)
        : base(Compose(requestType, message, criuErrno, criuMessage, logTail), innerException)
    {
        RequestType = requestType;
        CriuErrno = criuErrno;
        CriuMessage = criuMessage;
        LogTail = logTail ?? [];
    }

    /// <summary>The request CRIU failed.</summary>
    public CriuReqType RequestType { get; }

    /// <summary>CRIU's <c>cr_errno</c>, or <see langword="null"/> when CRIU sent none.</summary>
    public int? CriuErrno { get; }

    /// <summary>CRIU's <c>cr_errmsg</c>, or <see langword="null"/> when CRIU sent none.</summary>
    public string? CriuMessage { get; }

    /// <summary>The last lines of CRIU's log file; empty when no log file was set or it could not be read.</summary>
    public IReadOnlyList<string> LogTail { get; }

    private static string Compose(CriuReqType requestType, string message, int? criuErrno, string? criuMessage,
                                  IReadOnlyList<string>? logTail)
    {
        var text = $"CRIU {requestType}: {message}";
        if (criuErrno is { } errno)
            text += $" (cr_errno {errno}: {new System.ComponentModel.Win32Exception(errno).Message})";
        if (!string.IsNullOrEmpty(criuMessage))
            text += $"; CRIU said: {criuMessage.TrimEnd()}";
        if (logTail is { Count: > 0 })
            text += Environment.NewLine + "CRIU log tail:" + Environment.NewLine + string.Join(Environment.NewLine, logTail);
        return text;
    }
}
