namespace Phaul.FileSystem;

/// <summary>
/// The subtree targets that file-system migrations hold from their preparation to their completion. The sessions
/// of a destination service share one, so each copies into targets of its own: no migration may prepare a target
/// that is, holds or lies inside another one held. Else one copy could replace a directory of the other's target with
/// a symbolic link that the other copy would follow, or one migration's clean-up delete the other's files.
/// </summary>
internal sealed class FileSystemTargets
{
    private readonly Lock _lock = new();
    private readonly List<string> _held = [];

    /// <summary>Holds the canonical <paramref name="paths"/> of one migration, unless one overlaps another of them or one held.</summary>
    /// <exception cref="FileSystemMigrationException">Two targets overlap; the message names both.</exception>
    public void Hold(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        lock (_lock)
        {
            for (var i = 0; i < paths.Count; i++)
            {
                if (_held.FirstOrDefault(held => Overlap(paths[i], held)) is { } taken)
                    throw Refused(paths[i], taken, "a target another session here holds");
                if (paths.Take(i).FirstOrDefault(earlier => Overlap(paths[i], earlier)) is { } sibling)
                    throw Refused(paths[i], sibling, "another target of this migration");
            }
            _held.AddRange(paths);
        }
    }

    /// <summary>Lets go of the paths one <see cref="Hold"/> took.</summary>
    public void Release(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        lock (_lock)
        {
            foreach (var path in paths)
                _held.Remove(path);
        }
    }

    /// <summary>Whether the canonical <paramref name="path"/> is <paramref name="directory"/> or lies inside it.</summary>
    public static bool IsWithin(string path, string directory) =>
        path == directory || path.StartsWith(directory == "/" ? directory : directory + "/", StringComparison.Ordinal);

    private static bool Overlap(string path, string other) => IsWithin(path, other) || IsWithin(other, path);

    private static FileSystemMigrationException Refused(string path, string other, string whose)
    {
        var relation = path == other ? $"is {whose}" : $"{(IsWithin(path, other) ? "lies inside" : "holds")} '{other}', {whose}";
        return new FileSystemMigrationException(
            $"The destination path '{path}' {relation}; a migration copies into targets of its own, none inside another, until it completes.");
    }
}
