using Microsoft.Extensions.Logging;

namespace Phaul.Transport;

/// <summary>
/// Phaul.Transport's log messages, event ids 3000-3999: 3000s destination, 3100s source.
/// Keys, nonces and proofs are never logged.
/// </summary>
internal static partial class TransportLog
{
    [LoggerMessage(3000, LogLevel.Information, "Listening for migrations on {EndPoint}, sessions under {Wdir}")]
    public static partial void Listening(this ILogger logger, string endPoint, string wdir);

    [LoggerMessage(3001, LogLevel.Debug, "Connection from {EndPoint}")]
    public static partial void ConnectionAccepted(this ILogger logger, string endPoint);

    [LoggerMessage(3002, LogLevel.Warning, "Refused connection from {EndPoint} in {Phase}: {Reason}")]
    public static partial void ConnectionRefused(this ILogger logger, string endPoint, TransportPhase phase, string reason);

    [LoggerMessage(3003, LogLevel.Information, "Session {SessionId} from {EndPoint} authenticated; images in {Directory}")]
    public static partial void SessionStarted(this ILogger logger, string sessionId, string endPoint, string directory);

    [LoggerMessage(3004, LogLevel.Debug, "Session {SessionId}: memory connection joined from {EndPoint}")]
    public static partial void MemoryConnectionJoined(this ILogger logger, string sessionId, string endPoint);

    [LoggerMessage(3005, LogLevel.Information, "Session {SessionId}: iteration {Iteration} started")]
    public static partial void IterationStarted(this ILogger logger, string sessionId, int iteration);

    [LoggerMessage(3006, LogLevel.Information, "Session {SessionId}: iteration {Iteration} stopped")]
    public static partial void IterationStopped(this ILogger logger, string sessionId, int iteration);

    [LoggerMessage(3007, LogLevel.Warning, "Session {SessionId}: {Request} of iteration {Iteration} failed: {Error}")]
    public static partial void IterationRequestFailed(this ILogger logger, string sessionId, string request, int iteration, string error);

    [LoggerMessage(3008, LogLevel.Debug, "Session {SessionId}: received image file {Name} ({Bytes} bytes)")]
    public static partial void ImageFileReceived(this ILogger logger, string sessionId, string name, ulong bytes);

    [LoggerMessage(3009, LogLevel.Information, "Session {SessionId}: restoring from {Directory} ({Files} image files, {Bytes} bytes received)")]
    public static partial void Restoring(this ILogger logger, string sessionId, string directory, int files, long bytes);

    [LoggerMessage(3010, LogLevel.Information, "Session {SessionId}: restored, root pid {Pid}, in {ElapsedMs} ms")]
    public static partial void Restored(this ILogger logger, string sessionId, int pid, long elapsedMs);

    [LoggerMessage(3011, LogLevel.Error, "Session {SessionId}: restore failed: {Error}")]
    public static partial void RestoreFailed(this ILogger logger, string sessionId, string error);

    [LoggerMessage(3012, LogLevel.Error, "Session {SessionId} failed")]
    public static partial void SessionFailed(this ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(3013, LogLevel.Information, "Session {SessionId} ended")]
    public static partial void SessionEnded(this ILogger logger, string sessionId);

    [LoggerMessage(3060, LogLevel.Information, "Session {SessionId}: the restore takes the source's CRIU options: {Options}")]
    public static partial void RestoreOptionsAccepted(this ILogger logger, string sessionId, string options);

    [LoggerMessage(3018, LogLevel.Information, "Session {SessionId}: {Outcome}; removed its {Files} image files ({Bytes} bytes), kept the logs")]
    public static partial void SessionImagesRemoved(this ILogger logger, string sessionId, string outcome, int files, long bytes);

    [LoggerMessage(3019, LogLevel.Warning, "Session {SessionId}: could not remove its image files: {Error}")]
    public static partial void SessionImagesNotRemoved(this ILogger logger, string sessionId, string error);

    [LoggerMessage(3015, LogLevel.Warning, "Session {SessionId}: restored, but CRIU's restore statistics are unreadable: {Error}")]
    public static partial void RestoreStatsUnreadable(this ILogger logger, string sessionId, string error);

    [LoggerMessage(3016, LogLevel.Error, "A SessionEnded handler failed for session {SessionId}")]
    public static partial void SessionEndedHandlerFailed(this ILogger logger, Exception exception, string sessionId);

    [LoggerMessage(3020, LogLevel.Information, "Session {SessionId}: every page of the lazily restored tree (pid {Pid}) arrived ({Transferred} pages, {OnDemand} on demand)")]
    public static partial void AllPagesArrived(this ILogger logger, string sessionId, int pid, ulong? transferred, ulong? onDemand);

    [LoggerMessage(3021, LogLevel.Error, "Session {SessionId}: the lazily restored tree of iteration {Iteration} (pid {Pid}) was lost: {Reason}")]
    public static partial void RestoredTreeLost(this ILogger logger, string sessionId, int iteration, int pid, string reason);

    [LoggerMessage(3022, LogLevel.Information, "Session {SessionId}: sent the page maps of pre-dump {Ancestor} back ({Files} files, {Bytes} bytes)")]
    public static partial void ParentPageMapsSent(this ILogger logger, string sessionId, uint ancestor, int files, long bytes);

    [LoggerMessage(3014, LogLevel.Error, "Accepting connections on {EndPoint} failed")]
    public static partial void AcceptFailed(this ILogger logger, Exception exception, string endPoint);

    [LoggerMessage(3100, LogLevel.Information, "Connecting to destination {EndPoint}")]
    public static partial void Connecting(this ILogger logger, string endPoint);

    [LoggerMessage(3101, LogLevel.Information, "Connected to destination {EndPoint}, session {SessionId}, {Protection}")]
    private static partial void Connected(this ILogger logger, string endPoint, string sessionId, string protection);

    public static void Connected(this ILogger logger, string endPoint, string sessionId, bool encrypted) =>
        logger.Connected(endPoint, sessionId, encrypted ? "TLS 1.3" : "UNENCRYPTED (--insecure-plaintext)");

    [LoggerMessage(3102, LogLevel.Debug, "Iteration {Iteration}: {Request} acknowledged by the destination in {ElapsedMs} ms")]
    public static partial void RequestAcknowledged(this ILogger logger, int iteration, string request, long elapsedMs);

    [LoggerMessage(3103, LogLevel.Information, "Final dump of pid {Pid} into {Directory} (parent: {Parent})")]
    public static partial void FinalDumpStarting(this ILogger logger, int pid, string directory, string parent);

    [LoggerMessage(3104, LogLevel.Information, "Sent {Files} image files ({Bytes} bytes) in {ElapsedMs} ms; destination restoring")]
    public static partial void ImagesSent(this ILogger logger, int files, long bytes, long elapsedMs);

    [LoggerMessage(3105, LogLevel.Information, "Destination restored the tree as pid {Pid}; {ElapsedMs} ms after the dump was written")]
    public static partial void RemoteRestored(this ILogger logger, int pid, long elapsedMs);

    [LoggerMessage(3109, LogLevel.Information, "Fetched the page maps of {PreDumps} pre-dumps ({Files} files, {Bytes} bytes) into {Directory}'s chain; {Placeholders} empty pages files stand in for their pages")]
    public static partial void ParentPageMapsFetched(this ILogger logger, int preDumps, int files, long bytes, string directory, int placeholders);

    [LoggerMessage(3107, LogLevel.Warning, "The destination restored the tree but its restore statistics are malformed: {Error}")]
    public static partial void RestoreStatsMalformed(this ILogger logger, string error);

    [LoggerMessage(3108, LogLevel.Warning, "The final dump's statistics in {Directory} are unreadable: {Error}")]
    public static partial void DumpStatsUnreadable(this ILogger logger, string directory, string error);

    [LoggerMessage(3106, LogLevel.Error, "Transfer or restore failed with the tree frozen; CRIU resumes it on the source")]
    public static partial void FinalStageFailed(this ILogger logger, Exception exception);

    [LoggerMessage(3200, LogLevel.Warning, "Session {SessionId}: extension {Extension} failed a request or stream: {Error}")]
    public static partial void ExtensionFailed(this ILogger logger, string sessionId, string extension, string error);

    [LoggerMessage(3201, LogLevel.Warning, "Session {SessionId}: extension {Extension} failed to end (migrated {Migrated})")]
    public static partial void ExtensionEndFailed(this ILogger logger, string sessionId, string extension, bool migrated, Exception failure);

    [LoggerMessage(3202, LogLevel.Warning, "An extension stream did not close cleanly, so the control connection is unusable: {Error}")]
    public static partial void ExtensionStreamNotClosed(this ILogger logger, string error);

    [LoggerMessage(3040, LogLevel.Information, "Session {SessionId}: restored the tree as pid {Pid}, held stopped until the source gives its copy up")]
    public static partial void HoldingRestoredTree(this ILogger logger, string sessionId, int pid);

    [LoggerMessage(3041, LogLevel.Information, "Session {SessionId}: the source gave its copy up; resuming pid {Pid}")]
    public static partial void HandOverCommitted(this ILogger logger, string sessionId, int pid);

    [LoggerMessage(3042, LogLevel.Warning, "Session {SessionId}: no commit from the source for pid {Pid} ({Reason}); CRIU kills the held copy, the source keeps the tree")]
    public static partial void HandOverAbandoned(this ILogger logger, string sessionId, int pid, string reason);

    [LoggerMessage(3044, LogLevel.Error, "Session {SessionId}: the page server of iteration {Iteration} failed while the source sends pages; ending the session now: {Error}")]
    public static partial void PageServerFailedMidIteration(this ILogger logger, string sessionId, int iteration, string error);

    [LoggerMessage(3045, LogLevel.Warning, "Removed {Files} image files ({Bytes} bytes) that a crashed service left in {Directory}; its logs stay")]
    public static partial void CrashedSessionSettled(this ILogger logger, string directory, int files, long bytes);

    [LoggerMessage(3046, LogLevel.Warning, "Could not settle the sessions a crashed service left in {Wdir}: {Error}")]
    public static partial void CrashedSessionsNotSettled(this ILogger logger, string wdir, string error);

    [LoggerMessage(3144, LogLevel.Information, "Asked the destination how the hand-over ended (attempt {Attempt}): it {Outcome}")]
    private static partial void HandOverResolvedAs(this ILogger logger, int attempt, string outcome);

    public static void HandOverResolved(this ILogger logger, bool resumed, int attempt) =>
        logger.HandOverResolvedAs(attempt, resumed ? "resumed the tree" : "did not resume the tree");

    [LoggerMessage(3145, LogLevel.Warning, "Could not ask the destination how the hand-over ended (attempt {Attempt}): {Error}")]
    public static partial void HandOverQueryFailed(this ILogger logger, int attempt, string error);

    [LoggerMessage(3047, LogLevel.Information, "Hand-over query for session {SessionId} from {Peer}: {Outcome}")]
    private static partial void HandOverQueryAnsweredAs(this ILogger logger, string sessionId, string peer, string outcome);

    public static void HandOverQueryAnswered(this ILogger logger, string sessionId, string peer, bool resumed) =>
        logger.HandOverQueryAnsweredAs(sessionId, peer, resumed ? "its tree was resumed here" : "its tree was not resumed here (decided now if it was held)");

    [LoggerMessage(3043, LogLevel.Warning, "Session {SessionId}: the restore failed and CRIU left restored pid {Pid} behind; killed it")]
    public static partial void HeldCopyKilled(this ILogger logger, string sessionId, int pid);

    [LoggerMessage(3142, LogLevel.Error, "The hand-over of pid {Pid} is in doubt: its copy stays stopped on the source")]
    public static partial void HandOverInDoubt(this ILogger logger, int pid, Exception exception);

    [LoggerMessage(3143, LogLevel.Warning, "The tree runs on the destination, but the source's CRIU ended badly; killed the source's stopped copy of pid {Pid} ({Processes} processes)")]
    public static partial void SourceCopyKilledAfterHandOver(this ILogger logger, int pid, int processes, Exception exception);

    [LoggerMessage(3146, LogLevel.Warning, "The memory connection with {EndPoint} failed while {Direction}: {Reason}; nothing more passes between it and CRIU")]
    public static partial void MemoryRelayFailed(this ILogger logger, string endPoint, string direction, string reason);

    [LoggerMessage(3147, LogLevel.Warning, "Refused connection from {EndPoint} before authentication: {Reason}")]
    public static partial void ConnectionTurnedAway(this ILogger logger, string endPoint, string reason);

    [LoggerMessage(3148, LogLevel.Warning, "{Count} more refusals of unauthenticated connections in the last {Seconds} s were not logged")]
    public static partial void RefusalsSuppressed(this ILogger logger, int count, int seconds);
}
