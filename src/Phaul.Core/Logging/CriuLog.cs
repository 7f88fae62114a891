using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>Log messages of CRIU sessions (event ids 1000-1999).</summary>
internal static partial class CriuLog
{
    [LoggerMessage(1000, LogLevel.Debug, "Started criu swrk {SwrkPid} ({CriuPath}) with {CallerFdCount} caller fds")]
    public static partial void SwrkStarted(ILogger logger, int swrkPid, string criuPath, int callerFdCount);

    [LoggerMessage(1001, LogLevel.Debug, "Sent {RequestType} to criu swrk {SwrkPid} (keep_open {KeepOpen})")]
    public static partial void RequestSent(ILogger logger, CriuReqType requestType, int swrkPid, bool keepOpen);

    [LoggerMessage(1002, LogLevel.Debug, "criu swrk {SwrkPid} answered {RequestType}: success {Success} after {ElapsedMs:F1} ms")]
    public static partial void ResponseReceived(ILogger logger, CriuReqType requestType, int swrkPid, bool success, double elapsedMs);

    [LoggerMessage(1003, LogLevel.Debug, "CRIU notify {Script} (pid {NotifyPid})")]
    public static partial void NotifyReceived(ILogger logger, string script, int notifyPid);

    [LoggerMessage(1004, LogLevel.Warning, "The {Script} notify handler threw; CRIU is told the script failed")]
    public static partial void NotifyHandlerFailed(ILogger logger, Exception exception, string script);

    [LoggerMessage(1005, LogLevel.Warning, "CRIU session with swrk {SwrkPid} broken; CRIU killed")]
    public static partial void SessionBroken(ILogger logger, Exception exception, int swrkPid);

    [LoggerMessage(1006, LogLevel.Debug, "criu swrk {SwrkPid} ended")]
    public static partial void SwrkEnded(ILogger logger, int swrkPid);

    [LoggerMessage(1007, LogLevel.Information, "CRIU {CriuVersion} ({Criu})")]
    public static partial void VersionChecked(ILogger logger, string criuVersion, string criu);

    [LoggerMessage(1008, LogLevel.Debug, "{RequestType} runs in a session of its own: {Reason}")]
    public static partial void OwnSession(ILogger logger, CriuReqType requestType, string reason);

    [LoggerMessage(1009, LogLevel.Debug, "Prepared session swrk {SwrkPid} replaced: {RequestType} needs fds it was not started with")]
    public static partial void PreparedSessionReplaced(ILogger logger, int swrkPid, CriuReqType requestType);

    [LoggerMessage(1010, LogLevel.Information, "CRIU notify {Script} answered with a failure: the request was cancelled, and CRIU undoes it through its own failure path")]
    public static partial void NotifyFailedOnCancellation(ILogger logger, string script);
}
