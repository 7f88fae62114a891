using System.Globalization;

namespace Phaul.Cli.Migration;

/// <summary>
/// A fresh directory for one migration's images and CRIU logs on the source: under <c>--wdir</c>
/// when given (kept), else a temporary one that is removed after a successful migration and kept
/// after a failed one when it holds logs to read.
/// </summary>
internal sealed class SourceWorkDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly bool _temporary;

    private SourceWorkDirectory(string path, bool temporary)
    {
        Path = path;
        _temporary = temporary;
    }

    public string Path { get; }

    /// <exception cref="IOException">The directory cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The parent is not writable.</exception>
    /// <param name="parent">--wdir; null for a temporary directory.</param>
    /// <param name="subject">What migrates, in the directory's name (e.g. "pid1234", "container-web").</param>
    public static SourceWorkDirectory Create(string? parent, string subject)
    {
        if (parent is null)
            return new SourceWorkDirectory(Directory.CreateTempSubdirectory($"phaul-migrate-{subject}-").FullName, temporary: true);
        var name = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{subject}");
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(parent, name));
        if (Directory.Exists(path))
            throw new IOException($"'{path}' exists already: another migration of {subject} started this second");
        Directory.CreateDirectory(parent);
        Directory.CreateDirectory(path, OwnerOnly);
        return new SourceWorkDirectory(path, temporary: false);
    }

    /// <summary>The migration succeeded: a temporary directory is no longer needed.</summary>
    public void Succeeded()
    {
        if (_temporary)
            Directory.Delete(Path, recursive: true);
    }

    /// <summary>The migration failed: returns the directory to read CRIU's logs in, or null when there is nothing (it never got as far as CRIU).</summary>
    public string? Failed()
    {
        if (!_temporary || Directory.EnumerateFileSystemEntries(Path).Any())
            return Path;
        Directory.Delete(Path);
        return null;
    }
}
