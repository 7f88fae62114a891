namespace Phaul;

/// <summary>One file-system copy of a migration: when it ran, what it moved, how long it took.</summary>
public sealed record FileSystemPhaseReport
{
    /// <summary>When it ran.</summary>
    public FileSystemPhase Phase { get; init; }

    /// <summary>The pre-dump iteration it followed (<see cref="FileSystemPhase.Iteration"/> only).</summary>
    public int? Iteration { get; init; }

    /// <summary>What it moved.</summary>
    public FileSystemTransfer Transfer { get; init; } = FileSystemTransfer.None;

    /// <summary>
    /// How long it took. For <see cref="FileSystemPhase.Freeze"/> this is time the tree stood frozen on top
    /// of the dump and restore.
    /// </summary>
    public TimeSpan Duration { get; init; }
}
