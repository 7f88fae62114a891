using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// CRIU failed a request. Carries what CRIU said (its errno and message), the end of its log, and, found in the whole
/// log, the real cause: CRIU's message is the first error it logged, which is rarely the cause (on hosts without
/// CAP_SYS_RESOURCE it is always a harmless RLIMIT_NOFILE line). The message leads with that cause and its fix.
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
        : this(requestType, message, new CriuFailureDetails(criuErrno, criuMessage, logTail ?? [], CriuLogDiagnosis.Diagnose(logTail ?? []), null),
               innerException)
    {
    }

    internal CriuException(CriuReqType requestType, string message, CriuFailureDetails details, Exception? innerException = null)
        : base(CriuFailureText.Compose(requestType, message, details), innerException)
    {
        RequestType = requestType;
        CriuErrno = details.Errno;
        CriuMessage = details.CriuMessage;
        LogTail = details.LogTail;
        FirstError = details.Cause?.FirstError;
        Fix = details.Cause?.Fix;
        LogPath = details.LogPath;
    }

    /// <summary>The request CRIU failed.</summary>
    public CriuReqType RequestType { get; }

    /// <summary>CRIU's <c>cr_errno</c>, or <see langword="null"/> when CRIU sent none.</summary>
    public int? CriuErrno { get; }

    /// <summary>CRIU's <c>cr_errmsg</c>, or <see langword="null"/> when CRIU sent none.</summary>
    public string? CriuMessage { get; }

    /// <summary>The last lines of CRIU's log file; empty when no log file was set or it could not be read.</summary>
    public IReadOnlyList<string> LogTail { get; }

    /// <summary>
    /// CRIU's first fatal error in its log, lines that are always there skipped (e.g.
    /// <c>inet: Connected TCP socket, consider using --tcp-established option.</c>); <see langword="null"/> when the log
    /// held none or could not be read.
    /// </summary>
    public string? FirstError { get; }

    /// <summary>What to change so that the request can succeed, where CRIU names it or the situation is known; else <see langword="null"/>.</summary>
    public string? Fix { get; }

    /// <summary>The path of CRIU's full log for the request, on the host that ran it; <see langword="null"/> when none was set or it cannot be resolved.</summary>
    public string? LogPath { get; }
}

/// <summary>What Phaul learnt about a failed CRIU request besides its own description of it.</summary>
internal sealed record CriuFailureDetails(int? Errno, string? CriuMessage, IReadOnlyList<string> LogTail, CriuFailureCause? Cause,
                                          string? LogPath)
{
    /// <summary>The details of a request whose log is at <paramref name="log"/> (none when null).</summary>
    public static CriuFailureDetails FromLog(CriuLogLocation? log, int? errno = null, string? criuMessage = null) =>
        new(errno, criuMessage, log?.Tail() ?? [], log?.Diagnose(), log?.Path());

    /// <summary>The details of a CRIU process of our own (page server, lazy-pages daemon) whose log is at <paramref name="path"/>.</summary>
    public static CriuFailureDetails FromLogFile(string path, IReadOnlyList<string> tail) =>
        new(null, null, tail, CriuLogDiagnosis.DiagnoseFile(path), File.Exists(path) ? path : null);
}
