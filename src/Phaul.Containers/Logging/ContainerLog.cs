using Microsoft.Extensions.Logging;

namespace Phaul.Containers;

/// <summary>Log messages of container migration (event ids 6000-6999).</summary>
internal static partial class ContainerLog
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Debug, Message = "runc {Arguments}: {Ending} after {Elapsed}")]
    public static partial void RuncCommandEnded(this ILogger logger, IReadOnlyList<string> arguments, string ending, TimeSpan elapsed);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Container {Id}: paused and checkpointed into {ImagePath} in {Elapsed}; it stays paused here until the hand-over is decided")]
    public static partial void ContainerCheckpointed(this ILogger logger, string id, string imagePath, TimeSpan elapsed);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Container {Id}: the checkpoint failed; resumed it here")]
    public static partial void CheckpointFailedResumed(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Information, Message = "Container {Id}: the destination runs it; deleted it here")]
    public static partial void SourceContainerDeleted(this ILogger logger, string id);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Warning, Message = "Container {Id}: the migration was abandoned; resumed it here")]
    public static partial void SourceContainerResumed(this ILogger logger, string id);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Container {Id}: bundle {Bundle} prepared, root file system {RootFileSystem}")]
    public static partial void BundlePrepared(this ILogger logger, string id, string bundle, string rootFileSystem);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Information, Message = "Container {Id}: received {Files} image files, {Bytes} bytes")]
    public static partial void ImagesReceived(this ILogger logger, string id, int files, long bytes);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Container {Id}: restored here, init pid {Pid}")]
    public static partial void ContainerRestored(this ILogger logger, string id, int pid);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Container {Id}: not restored; removed its bundle {Bundle}")]
    public static partial void BundleRemoved(this ILogger logger, string id, string bundle);

    [LoggerMessage(EventId = 6021, Level = LogLevel.Warning, Message = "Container {Id}: its preparation failed and its partial bundle {Bundle} could not be removed; remove it before another attempt")]
    public static partial void BundleNotRemoved(this ILogger logger, string id, string bundle, Exception exception);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Error, Message = "Container {Id}: the restore failed and runc could not delete what it left; it may run here")]
    public static partial void FailedRestoreNotCleanedUp(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Warning, Message = "Could not remove the images in {Images}")]
    public static partial void ImagesNotRemoved(this ILogger logger, string images, Exception exception);

    [LoggerMessage(EventId = 6016, Level = LogLevel.Warning, Message = "Could not announce {Address} from its new host ({Reason}); clients may reach it only once switches learn its new port")]
    public static partial void AddressNotAnnounced(this ILogger logger, string address, string reason);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Container {Id}: it runs on the destination, but its veth pairs here could not be deleted (they stay down)")]
    public static partial void SourceNetworkNotRemoved(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Warning, Message = "Container {Id}: ending the copy of its root file system failed")]
    public static partial void RootFileSystemCopyNotCompleted(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6017, Level = LogLevel.Information, Message = "Container {Id}: all of its memory arrived ({Pages} pages fetched after the restore)")]
    public static partial void ContainerMemoryArrived(this ILogger logger, string id, ulong pages);

    [LoggerMessage(EventId = 6018, Level = LogLevel.Error, Message = "Container {Id}: it ran here, then its memory could not all arrive; killed: {Killed}")]
    public static partial void ContainerMemoryLost(this ILogger logger, string id, bool killed, Exception exception);

    [LoggerMessage(EventId = 6019, Level = LogLevel.Information, Message = "Container {Id}: CRIU's serving of its memory ended early")]
    public static partial void LazyServingEnded(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Error, Message = "Container {Id}: it was lost, and its stale paused copy here could not be deleted")]
    public static partial void StaleCopyNotDeleted(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Information, Message = "Container {Id}: pre-dump {Round} sent; {Bytes} bytes of pre-dumps so far")]
    public static partial void PreDumpSent(this ILogger logger, string id, int round, long bytes);

    [LoggerMessage(EventId = 6020, Level = LogLevel.Information, Message = "Container {Id}: received pre-dump {Round}, {Files} files, {Bytes} bytes")]
    public static partial void PreDumpReceived(this ILogger logger, string id, int round, int files, long bytes);
}
