using Microsoft.Extensions.Logging;
using Phaul.Transport;

namespace Phaul.FileSystem;

/// <summary>File-system migration across Phaul's network transport: the destination's extension, and the source's end of it.</summary>
public static class FileSystemTransport
{
    /// <summary>
    /// The listener's options with the file-system extension registered, so that sources may check shared paths and copy
    /// subtrees into <see cref="FileSystemDestinationOptions.AllowedRoots"/> with rsync. Each session gets its own
    /// <see cref="FileSystemDestination"/>; their targets are kept apart (none may be, hold or lie inside another session's).
    /// </summary>
    /// <param name="options">The listener's options; its other extensions stay.</param>
    /// <param name="fileSystem">What sources may do with files; null for the defaults (shared paths only).</param>
    /// <param name="loggerFactory">Where the sessions' file-system ends log; null for nowhere.</param>
    /// <returns>A copy of <paramref name="options"/>.</returns>
    /// <exception cref="ArgumentException">An option of <paramref name="fileSystem"/> is invalid; the message names it.</exception>
    public static MigrationListenerOptions WithFileSystem(this MigrationListenerOptions options, FileSystemDestinationOptions? fileSystem = null,
                                                          ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        fileSystem ??= new FileSystemDestinationOptions();
        fileSystem.Validate();
        // Shared by the listener's sessions, so that each copies into targets of its own.
        var targets = new FileSystemTargets();
        var extensions = new Dictionary<string, Func<IDestinationExtension>>(options.Extensions, StringComparer.Ordinal)
        {
            [FileSystemWire.ExtensionName] = () => new FileSystemDestinationExtension(new FileSystemDestination(fileSystem, loggerFactory, targets)),
        };
        return options with { Extensions = extensions };
    }

    /// <summary>
    /// The destination's file-system end, over this session's control connection: give it to a <see cref="SubtreeFileSystem"/>
    /// or <see cref="SharedFileSystem"/> for <see cref="PhaulClientOptions.Hooks"/>. The destination (its listener started
    /// with <see cref="WithFileSystem"/>) runs rsync only with arguments it checked, into paths its options allow, and
    /// when the session ends removes a failed copy or keeps the copy of a tree it restored: its
    /// <see cref="IFileSystemDestination.CompleteAsync"/> leaves that to the destination.
    /// </summary>
    /// <param name="connection">The session.</param>
    public static IFileSystemDestination FileSystem(this MigrationConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new RemoteFileSystemDestination(connection);
    }
}
