using Microsoft.Extensions.Logging;

namespace Phaul.FileSystem;

/// <summary>Log messages of file-system migration (event ids 5000-5999).</summary>
internal static partial class FileSystemLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "File system: {Mode} prepared on the destination for {Paths}")]
    public static partial void FileSystemPrepared(this ILogger logger, FileSystemMode mode, IEnumerable<string> paths);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Debug, Message = "File system: starting rsync --server into {Path} (opened as {FdPath})")]
    public static partial void RsyncServerStarting(this ILogger logger, string path, string fdPath);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "File system: the migration failed; the copy in {Path} was removed")]
    public static partial void FileSystemCopyRemoved(this ILogger logger, string path);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "File system: the migration failed; the copies in {Paths} are kept as asked")]
    public static partial void FileSystemKept(this ILogger logger, IEnumerable<string> paths);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information,
        Message = "File system: {Phase} copy of {Source} to {Target}: {Files} files sent, {Deleted} deleted, {BytesSent} bytes sent, {BytesReceived} received")]
    public static partial void SubtreeCopied(this ILogger logger, MigrationHookPhase phase, string source, string target, long files, long deleted,
                                             long bytesSent, long bytesReceived);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning,
        Message = "File system: the destination cannot keep ACLs or extended attributes of {Source}; copying without them ({Reason})")]
    public static partial void AclsAndXattrsDropped(this ILogger logger, string source, string reason);
}
