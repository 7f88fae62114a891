namespace Phaul.FileSystem;

/// <summary>What a <see cref="FileSystemDestination"/> allows; every property has a default.</summary>
public sealed class FileSystemDestinationOptions
{
    /// <summary>
    /// Absolute directories under which subtrees may be copied (each one itself included). Default empty:
    /// no subtree may be copied here, only shared paths checked.
    /// </summary>
    public IReadOnlyList<string> AllowedRoots { get; init; } = [];

    /// <summary>The rsync program: a path, or a name looked up on PATH. Default <c>rsync</c>.</summary>
    public string RsyncPath { get; init; } = RsyncProgram.DefaultName;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(AllowedRoots, nameof(AllowedRoots));
        ArgumentException.ThrowIfNullOrEmpty(RsyncPath, nameof(RsyncPath));
        foreach (var root in AllowedRoots)
        {
            if (RsyncServerArguments.Normalize(root) is null)
                throw new ArgumentException($"FileSystemDestinationOptions.AllowedRoots: '{root}' is not an absolute, canonical path.", "options");
        }
    }
}
