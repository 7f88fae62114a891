using Microsoft.Extensions.Logging;

namespace Phaul;

/// <summary>Log messages of the in-process final stage: final dump, image move, restore (event ids 4000-4999).</summary>
internal static partial class RestoreLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information,
        Message = "Final dump of pid {Pid} into {Directory} (parent images '{ParentDirectory}')")]
    public static partial void FinalDumpStarting(this ILogger logger, int pid, string directory, string parentDirectory);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug,
        Message = "Linked {Count} images from {From} into {To}")]
    public static partial void ImagesLinked(this ILogger logger, int count, string from, string to);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information,
        Message = "Restoring from {Directory} while pid {Pid} is frozen on the source")]
    public static partial void RestoreStarting(this ILogger logger, string directory, int pid);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information,
        Message = "Restored pid {Pid} as pid {RestoredPid}")]
    public static partial void Restored(this ILogger logger, int pid, int restoredPid);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error,
        Message = "Restore of pid {Pid} failed: CRIU resumes it on the source")]
    public static partial void RestoreFailed(this ILogger logger, int pid, Exception exception);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Critical,
        Message = "The final dump of pid {Pid} succeeded without its post-dump notification: nothing was restored; " +
                  "its images are in {Directory}")]
    public static partial void PostDumpNeverCame(this ILogger logger, int pid, string directory);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning,
        Message = "Could not read CRIU's statistics in {Directory}")]
    public static partial void StatisticsUnreadable(this ILogger logger, string directory, Exception exception);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Critical,
        Message = "Pid {Pid} was restored as pid {RestoredPid}, then the source's dump failed: CRIU may resume the source too")]
    public static partial void DumpFailedAfterRestore(this ILogger logger, int pid, int restoredPid, Exception exception);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning,
        Message = "The restore of pid {Pid} failed after CRIU forked its root, pid {RestoredRoot}: killed that partly restored tree")]
    public static partial void PartlyRestoredTreeKilled(this ILogger logger, int pid, int restoredRoot);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Information,
        Message = "Stopped the source's copy of pid {Pid} ({Processes} processes) before letting the destination's copy, pid {RestoredPid}, run")]
    public static partial void SourceStoppedForHandOver(this ILogger logger, int pid, int processes, int restoredPid);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information,
        Message = "The hand-over did not happen and the destination's copy cannot run; the source's copy of pid {Pid} continues ({Processes} processes)")]
    public static partial void SourceContinuedAfterHandOver(this ILogger logger, int pid, int processes);
}
