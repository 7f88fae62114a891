namespace Phaul.FileSystem;

/// <summary>Finds the rsync program: a path as given, or a bare name on PATH.</summary>
public static class RsyncProgram
{
    /// <summary>The name looked up on PATH by default: Debian's <c>rsync</c> package installs /usr/bin/rsync.</summary>
    public const string DefaultName = "rsync";

    /// <summary>The full path of <paramref name="program"/>, or <see langword="null"/> when it is not an executable file.</summary>
    /// <param name="program">A path with a slash, or a name looked up in each directory of PATH.</param>
    public static string? Find(string program = DefaultName)
    {
        ArgumentException.ThrowIfNullOrEmpty(program);
        if (program.Contains('/', StringComparison.Ordinal))
            return IsExecutable(program) ? Path.GetFullPath(program) : null;
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
                   .Select(directory => Path.Combine(directory, program))
                   .FirstOrDefault(IsExecutable);
    }

    /// <summary>Finds <paramref name="program"/> or throws saying where it was looked for and how to install it.</summary>
    /// <param name="program">As for <see cref="Find"/>.</param>
    /// <param name="side">"source" or "destination", for the message.</param>
    /// <exception cref="FileSystemMigrationException">It is not there.</exception>
    public static string Require(string program, string side) =>
        Find(program) ?? throw new FileSystemMigrationException(
            $"rsync is not installed on the {side} ('{program}' is not an executable file{(program.Contains('/', StringComparison.Ordinal) ? "" : " on PATH")}); " +
            "file-system migration needs it on both hosts: apt-get install rsync.");

    private static bool IsExecutable(string path) =>
        File.Exists(path) && Interop.Access(path, Interop.X_OK) == 0;
}
