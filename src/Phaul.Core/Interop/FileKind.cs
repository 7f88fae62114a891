namespace Phaul;

/// <summary>The kinds of file Phaul tells apart before trusting one.</summary>
internal enum FileKind
{
    /// <summary>A device, FIFO or socket.</summary>
    Other,

    /// <summary>A regular file.</summary>
    RegularFile,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (described, not followed).</summary>
    SymbolicLink,
}
