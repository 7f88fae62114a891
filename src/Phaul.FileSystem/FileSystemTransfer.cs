namespace Phaul.FileSystem;

/// <summary>What one file-system copy moved, as rsync counted it.</summary>
internal sealed record FileSystemTransfer
{
    /// <summary>Nothing moved (shared storage, or nothing to copy).</summary>
    public static FileSystemTransfer None { get; } = new();

    /// <summary>Regular files whose data was sent (new or changed).</summary>
    public long FilesTransferred { get; init; }

    /// <summary>Files and directories deleted at the destination because they are gone at the source.</summary>
    public long FilesDeleted { get; init; }

    /// <summary>Bytes the source sent to the destination (file data, file lists and protocol).</summary>
    public long BytesSent { get; init; }

    /// <summary>Bytes the destination sent back (checksums and protocol).</summary>
    public long BytesReceived { get; init; }

    /// <summary>The sum of two transfers, for a copy made of several rsync runs.</summary>
    public FileSystemTransfer Add(FileSystemTransfer other) => new()
    {
        FilesTransferred = FilesTransferred + other.FilesTransferred,
        FilesDeleted = FilesDeleted + other.FilesDeleted,
        BytesSent = BytesSent + other.BytesSent,
        BytesReceived = BytesReceived + other.BytesReceived,
    };

    /// <summary>The figures of a hook's report (<see cref="MigrationHookReport.Figures"/>), named as in its JSON.</summary>
    public IReadOnlyDictionary<string, long> ToFigures() => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["filesTransferred"] = FilesTransferred,
        ["filesDeleted"] = FilesDeleted,
        ["bytesSent"] = BytesSent,
        ["bytesReceived"] = BytesReceived,
    };
}
