using Microsoft.Extensions.Logging;

namespace Phaul;

/// <summary>Log messages of the migration loop and the destination's iterations (event ids 2000-2999).</summary>
internal static partial class MigrationLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "Migrating pid {Pid} with {Strategy} ({Requested} asked for)")]
    public static partial void StrategyChosen(this ILogger logger, int pid, MigrationStrategy strategy, MigrationStrategy requested);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning,
        Message = "Migrating pid {Pid} with {Strategy} ({Requested} asked for): {Note}")]
    public static partial void StrategyFellBack(this ILogger logger, int pid, MigrationStrategy strategy, MigrationStrategy requested, string note);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug,
        Message = "Pid {Pid}: the destination's vm.overcommit_memory = {OvercommitMemory} (RAM + swap {RamAndSwapBytes} bytes, CommitLimit {CommitLimitBytes}, " +
                  "committed {CommittedBytes}); the tree's largest reservable private mapping {LargestBytes} bytes (pid {LargestPid}), " +
                  "all private mappings {TotalBytes} bytes")]
    public static partial void PremapChecked(this ILogger logger, int pid, int overcommitMemory, long ramAndSwapBytes, long commitLimitBytes,
                                             long committedBytes, long largestBytes, int largestPid, long totalBytes);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information,
        Message = "Pid {Pid}: whether the destination can map the tree for a lazy restore is not checked: {Why}")]
    public static partial void PremapNotChecked(this ILogger logger, int pid, string why);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "Pid {Pid}: {MemoryBytes} bytes of memory, link {LinkBytesPerSecond} bytes/s with a {RoundTripMs} ms round trip, " +
                  "dirty rate {DirtyBytesPerSecond} bytes/s; {Choice}")]
    public static partial void ForecastMade(this ILogger logger, int pid, long memoryBytes, double? linkBytesPerSecond, double? roundTripMs,
                                            double? dirtyBytesPerSecond, string choice);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information,
        Message = "Pid {Pid}: no forecast, the strategy follows the fixed order: {Why}")]
    public static partial void ForecastUnavailable(this ILogger logger, int pid, string why);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug,
        Message = "Iteration {Iteration}: pre-dumping pid {Pid} into {Directory}")]
    public static partial void PreDumpStarting(this ILogger logger, int iteration, int pid, string directory);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information,
        Message = "Iteration {Iteration}: pre-dump wrote {PagesWritten} pages, skipped {PagesSkippedParent} in parent, froze the tree for {FrozenTime}")]
    public static partial void PreDumpCompleted(this ILogger logger, int iteration, ulong? pagesWritten,
                                                ulong? pagesSkippedParent, TimeSpan? frozenTime);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information,
        Message = "Iteration {Iteration}: pre-copy stops ({StopReason})")]
    public static partial void PreCopyStopped(this ILogger logger, int iteration, PreCopyStopReason stopReason);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information,
        Message = "Iteration {Iteration}: final dump, copy and restore of pid {Pid} (parent images '{ParentDirectory}')")]
    public static partial void FinalStageStarting(this ILogger logger, int iteration, int pid, string parentDirectory);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Warning,
        Message = "The progress sink failed on {Kind}; the migration goes on")]
    public static partial void ProgressSinkFailed(this ILogger logger, MigrationProgressKind kind, Exception exception);

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information,
        Message = "Migrated pid {Pid} (restored as pid {RestoredPid}) with {Strategy} in {Duration}")]
    public static partial void MigrationCompleted(this ILogger logger, int pid, int? restoredPid,
                                                  MigrationStrategy strategy, TimeSpan duration);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning,
        Message = "Migration of pid {Pid} cancelled at {Step} (iteration {Iteration})")]
    public static partial void MigrationCancelled(this ILogger logger, int pid, MigrationStep step, int? iteration);

    [LoggerMessage(EventId = 2032, Level = LogLevel.Error,
        Message = "Migration of pid {Pid} failed at {Step} (iteration {Iteration})")]
    public static partial void MigrationFailed(this ILogger logger, int pid, MigrationStep step, int? iteration,
                                               Exception exception);

    [LoggerMessage(EventId = 2033, Level = LogLevel.Warning,
        Message = "Iteration {Iteration}: ending the iteration after a failure failed too")]
    public static partial void AbandonedIterationStopFailed(this ILogger logger, int iteration, Exception exception);

    [LoggerMessage(EventId = 2034, Level = LogLevel.Debug,
        Message = "Iteration {Iteration}: shut down the memory socket (fd {Memfd}) for writing, so the destination's page server sees the end at once")]
    public static partial void MemoryStreamEnded(this ILogger logger, int iteration, int memfd);

    [LoggerMessage(EventId = 2035, Level = LogLevel.Warning,
        Message = "Iteration {Iteration}: could not shut down the memory socket (fd {Memfd}): the destination's page server waits until its timeout")]
    public static partial void MemoryStreamNotEnded(this ILogger logger, int iteration, int memfd, Exception exception);

    [LoggerMessage(EventId = 2040, Level = LogLevel.Information, Message = "Hook {Hook}: {Phase} took {Duration}")]
    public static partial void HookPhaseCompleted(this ILogger logger, string hook, MigrationHookPhase phase, TimeSpan duration);

    [LoggerMessage(EventId = 2041, Level = LogLevel.Error,
        Message = "Hook {Hook} failed while the tree was frozen; the dump fails and the tree resumes on the source")]
    public static partial void HookFailedWhileFrozen(this ILogger logger, string? hook, Exception failure);

    [LoggerMessage(EventId = 2042, Level = LogLevel.Warning, Message = "Hook {Hook}: completing after the migration (migrated {Migrated}) failed")]
    public static partial void HookCompletionFailed(this ILogger logger, string hook, bool migrated, Exception failure);

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information,
        Message = "Iteration {Iteration}: page server pid {PageServerPid} receives into {Directory}")]
    public static partial void PageServerStarted(this ILogger logger, int iteration, int pageServerPid, string directory);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug,
        Message = "Iteration {Iteration}: page server pid {PageServerPid} finished")]
    public static partial void PageServerFinished(this ILogger logger, int iteration, int pageServerPid);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error,
        Message = "Iteration {Iteration}: page server pid {PageServerPid} failed: {Error}")]
    public static partial void PageServerFailed(this ILogger logger, int iteration, int pageServerPid, string error);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning,
        Message = "Iteration {Iteration}: killing page server pid {PageServerPid} ({Why})")]
    public static partial void PageServerKilled(this ILogger logger, int iteration, int pageServerPid, string why);

    [LoggerMessage(EventId = 2050, Level = LogLevel.Warning, Message = "Pid {Pid} ({Subject}): {Note}")]
    public static partial void TreeNeedsAttention(this ILogger logger, int pid, string subject, string note);

    [LoggerMessage(EventId = 2051, Level = LogLevel.Information, Message = "Pid {Pid} ({Subject}): {Note}")]
    public static partial void TreeNote(this ILogger logger, int pid, string subject, string note);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Error, Message = "Pid {Pid} cannot be dumped, so nothing was started: {Refusal}")]
    public static partial void TreeRefused(this ILogger logger, int pid, string refusal);
}
