namespace Phaul;

/// <summary>When a file-system copy ran.</summary>
public enum FileSystemPhase
{
    /// <summary>Before the first iteration, while the tree ran: everything.</summary>
    Bulk,

    /// <summary>After a pre-dump iteration, while the tree ran: what changed since.</summary>
    Iteration,

    /// <summary>During the final freeze, after the dump: the last changes.</summary>
    Freeze,
}
