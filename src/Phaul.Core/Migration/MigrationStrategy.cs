namespace Phaul;

/// <summary>How a migration moved the tree's memory.</summary>
public enum MigrationStrategy
{
    /// <summary>
    /// Iterative pre-copy: memory was copied while the tree kept running (pre-dumps), then the final
    /// dump sent only what changed since the last pre-dump.
    /// </summary>
    PreCopy,

    /// <summary>The tree was frozen and dumped once, with all of its memory.</summary>
    StopAndCopy,

    /// <summary>
    /// The tree was restored first and its memory followed on demand and in the background (CRIU's lazy
    /// pages); the final stage ended when every page had arrived.
    /// </summary>
    PostCopy,

    /// <summary>Pre-copy iterations while they converged, then post-copy for what was left.</summary>
    Hybrid,
}
