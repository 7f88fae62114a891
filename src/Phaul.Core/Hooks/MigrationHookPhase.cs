namespace Phaul;

/// <summary>When an <see cref="IMigrationHook"/> ran.</summary>
public enum MigrationHookPhase
{
    /// <summary>Before the first iteration, while the tree ran (<see cref="IMigrationHook.BeforeIterationsAsync"/>).</summary>
    BeforeIterations,

    /// <summary>After a pre-dump iteration, while the tree ran (<see cref="IMigrationHook.AfterPreDumpAsync"/>).</summary>
    AfterPreDump,

    /// <summary>During the final freeze, after the dump (<see cref="IMigrationHook.WhileFrozenAsync"/>).</summary>
    WhileFrozen,
}
