namespace Phaul.FileSystem;

/// <summary>How the files reach the destination.</summary>
public enum FileSystemMode
{
    /// <summary>Both hosts see the same storage; the destination only checks that the paths exist.</summary>
    Shared,

    /// <summary>Directory trees are copied with rsync into destination paths that are absent or empty.</summary>
    Subtree,
}

/// <summary>What the source asks of the destination before the first copy.</summary>
/// <param name="Mode">Shared storage or copied subtrees.</param>
/// <param name="Paths">Absolute destination paths: the shared paths to check, or the subtrees' targets.</param>
/// <param name="KeepOnFailure">Whether copied files stay at the destination after a failed migration.</param>
public sealed record FileSystemPlan(FileSystemMode Mode, IReadOnlyList<string> Paths, bool KeepOnFailure = false);
