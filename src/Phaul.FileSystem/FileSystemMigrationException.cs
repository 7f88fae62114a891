namespace Phaul.FileSystem;

/// <summary>
/// A file-system copy or check failed. The message says which side, which path or which program, and
/// what it reported (rsync's last output lines).
/// </summary>
public sealed class FileSystemMigrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FileSystemMigrationException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    /// <param name="message">What failed, where.</param>
    public FileSystemMigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    /// <param name="message">What failed, where.</param>
    /// <param name="innerException">The cause.</param>
    public FileSystemMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
