namespace Phaul;

/// <summary>Whether a migration runs pre-dumps before the final dump.</summary>
public enum PreCopyMode
{
    /// <summary>
    /// Ask CRIU (FEATURE_CHECK <c>mem_track</c>) and pre-copy only when the kernel tracks dirty memory;
    /// otherwise fall back to stop-and-copy.
    /// </summary>
    Auto,

    /// <summary>Always pre-copy, without asking CRIU; a pre-dump then fails if the kernel cannot track memory.</summary>
    Always,

    /// <summary>Never pre-copy: stop-and-copy.</summary>
    Never,
}
