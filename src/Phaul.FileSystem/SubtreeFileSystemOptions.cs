namespace Phaul.FileSystem;

/// <summary>One directory tree to copy, and where it goes on the destination.</summary>
/// <param name="Path">The tree's absolute path on the source.</param>
public sealed record FileSystemSubtree(string Path)
{
    /// <summary>
    /// Where it goes on the destination; null (the default) for the same path, which is what CRIU needs
    /// for files the tree has open (it reopens them by path).
    /// </summary>
    public string? DestinationPath { get; init; }

    /// <summary>The destination path in effect.</summary>
    public string Target => DestinationPath ?? Path;
}

/// <summary>What a <see cref="SubtreeFileSystem"/> copies and how; every property but the subtrees has a default.</summary>
public sealed class SubtreeFileSystemOptions
{
    /// <summary>The trees to copy (at least one; none inside another).</summary>
    public IReadOnlyList<FileSystemSubtree> Subtrees { get; init; } = [];

    /// <summary>rsync exclude patterns (<c>--exclude</c>), applied to every subtree. Excluded files are neither sent nor deleted.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>Keep what was copied at the destination after a failed migration. Default <see langword="false"/>: it is removed.</summary>
    public bool KeepOnFailure { get; init; }

    /// <summary>The source's rsync: a path, or a name looked up on PATH. Default <c>rsync</c>.</summary>
    public string RsyncPath { get; init; } = RsyncProgram.DefaultName;

    internal void Validate()
    {
        if (Subtrees is null || Subtrees.Count == 0)
            throw new ArgumentException("SubtreeFileSystemOptions.Subtrees must name at least one directory.", "options");
        ArgumentNullException.ThrowIfNull(Excludes, nameof(Excludes));
        ArgumentException.ThrowIfNullOrEmpty(RsyncPath, nameof(RsyncPath));
        foreach (var subtree in Subtrees)
        {
            if (RsyncServerArguments.Normalize(subtree.Path) is null)
                throw new ArgumentException($"SubtreeFileSystemOptions.Subtrees: '{subtree.Path}' is not an absolute, canonical path.", "options");
            if (RsyncServerArguments.Normalize(subtree.Target) is null)
                throw new ArgumentException($"SubtreeFileSystemOptions.Subtrees: the destination '{subtree.Target}' is not an absolute, canonical path.", "options");
            if (!Directory.Exists(subtree.Path))
                throw new ArgumentException($"SubtreeFileSystemOptions.Subtrees: '{subtree.Path}' is not a directory.", "options");
        }
        var targets = Subtrees.Select(subtree => RsyncServerArguments.Normalize(subtree.Target)!).ToList();
        foreach (var target in targets)
        {
            if (targets.Any(other => other != target && (target + "/").StartsWith(other == "/" ? "/" : other + "/", StringComparison.Ordinal)))
                throw new ArgumentException($"SubtreeFileSystemOptions.Subtrees: '{target}' lies inside another subtree.", "options");
        }
        if (targets.Distinct(StringComparer.Ordinal).Count() != targets.Count)
            throw new ArgumentException("SubtreeFileSystemOptions.Subtrees: two subtrees go to the same destination.", "options");
    }
}
