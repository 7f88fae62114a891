using Microsoft.Extensions.Logging;

namespace Phaul;

/// <summary>Log messages of post-copy (lazy) migration on both ends (event ids 4100-4199, the restore band).</summary>
internal static partial class PostCopyLog
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "Lazy iteration {Iteration}: lazy-pages daemon pid {DaemonPid} listens in {Directory} after {StartTime}")]
    public static partial void LazyPagesDaemonListening(this ILogger logger, int iteration, int daemonPid, string directory, TimeSpan startTime);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information,
        Message = "Lazy iteration {Iteration}: the restored tree runs as pid {RestoredPid}; its memory follows")]
    public static partial void LazyRestoreResumed(this ILogger logger, int iteration, int restoredPid);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information,
        Message = "Lazy iteration {Iteration}: every page arrived ({PagesTransferred} pages, {PagesOnDemand} on demand)")]
    public static partial void AllPagesArrived(this ILogger logger, int iteration, ulong? pagesTransferred, ulong? pagesOnDemand);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning,
        Message = "Lazy iteration {Iteration} abandoned: {Why}")]
    public static partial void LazyIterationAbandoned(this ILogger logger, int iteration, string why);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Critical,
        Message = "Lazy iteration {Iteration}: restored pid {RestoredPid} lost ({Killed} processes killed): {Reason}")]
    public static partial void RestoredTreeLost(this ILogger logger, int iteration, int restoredPid, int killed, string reason,
                                                Exception? exception);

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information,
        Message = "Lazy final dump of pid {Pid} into {Directory} (parent images '{ParentDirectory}'): its memory stays on the source until asked for")]
    public static partial void LazyDumpStarting(this ILogger logger, int pid, string directory, string parentDirectory);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning,
        Message = "Pid {Pid} runs on the source again ({Continued} processes continued): the destination never resumed it: {Cause}")]
    public static partial void SourceResumed(this ILogger logger, int pid, int continued, string cause);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Information,
        Message = "Source copy of pid {Pid} killed ({Killed} processes): {Why}")]
    public static partial void SourceKilled(this ILogger logger, int pid, int killed, string why);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Warning,
        Message = "Every page of pid {Pid} arrived, but the source's lazy dump did not end well (or in time); its copy is killed all the same")]
    public static partial void SourceDumpEndedBadly(this ILogger logger, int pid, Exception? exception);

    [LoggerMessage(EventId = 4114, Level = LogLevel.Error,
        Message = "The source's lazy dump of pid {Pid} failed while pages were still owed: shutting the memory socket down so the destination stops waiting")]
    public static partial void SourceDumpFailedWhileServing(this ILogger logger, int pid, Exception? exception);
}
