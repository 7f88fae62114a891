using Microsoft.Extensions.Logging;
using Phaul.FileSystem;

namespace Phaul.Cli.Migration;

/// <summary>What <c>phaul migrate</c> does with the tree's files (<c>--fs-subtree</c>, <c>--fs-shared</c>, <c>--fs-exclude</c>, <c>--fs-keep</c>).</summary>
/// <param name="Subtrees">Directories to copy to the same paths on the destination.</param>
/// <param name="Shared">Paths the destination must see already (shared storage).</param>
/// <param name="Excludes">rsync exclude patterns for the subtrees.</param>
/// <param name="KeepOnFailure">Keep the copy at the destination after a failed migration.</param>
internal sealed record FileSystemChoice(IReadOnlyList<string> Subtrees, IReadOnlyList<string> Shared, IReadOnlyList<string> Excludes,
                                        bool KeepOnFailure)
{
    /// <summary>Nothing to do with files: no option given.</summary>
    public bool IsEmpty => Subtrees.Count == 0 && Shared.Count == 0;

    /// <summary>What is wrong with the options, named as on the command line; null when they are usable.</summary>
    public string? Problem()
    {
        if (Subtrees.Count > 0 && Shared.Count > 0)
            return "--fs-subtree and --fs-shared: choose one mode (copied subtrees or shared storage)";
        if (IsEmpty && (Excludes.Count > 0 || KeepOnFailure))
            return "--fs-exclude and --fs-keep apply to --fs-subtree, which is not given";
        if (Subtrees.FirstOrDefault(path => !Directory.Exists(path)) is { } missing)
            return $"--fs-subtree {missing}: no such directory";
        return null;
    }

    /// <summary>The file-system migration's hook for a destination; null when no option was given.</summary>
    public IMigrationHook? Create(IFileSystemDestination destination, ILoggerFactory loggerFactory)
    {
        if (Shared.Count > 0)
            return new SharedFileSystem(destination, [.. Shared.Select(Canonical)]);
        if (Subtrees.Count == 0)
            return null;
        var options = new SubtreeFileSystemOptions
        {
            Subtrees = [.. Subtrees.Select(path => new FileSystemSubtree(Canonical(path)))],
            Excludes = Excludes,
            KeepOnFailure = KeepOnFailure,
        };
        return new SubtreeFileSystem(destination, options, loggerFactory);
    }

    private static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        return full.Length > 1 ? full.TrimEnd('/') : full;
    }
}
