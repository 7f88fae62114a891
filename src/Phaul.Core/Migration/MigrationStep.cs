namespace Phaul;

/// <summary>The steps of a migration, as named in a <see cref="MigrationException"/>.</summary>
public enum MigrationStep
{
    /// <summary>Starting the source's CRIU session.</summary>
    PrepareCriu,

    /// <summary>
    /// Finding which strategies both ends support: the source's CRIU (memory tracking, lazy pages), its pipe
    /// size limit, and the destination's post-copy support.
    /// </summary>
    CheckFeatures,

    /// <summary>Asking the destination to start an iteration (<see cref="IPhaulRemote.StartIterAsync(long, CancellationToken)"/>).</summary>
    StartIteration,

    /// <summary>Pre-dumping the tree's memory while it runs.</summary>
    PreDump,

    /// <summary>Asking the destination to end an iteration (<see cref="IPhaulRemote.StopIterAsync"/>).</summary>
    StopIteration,

    /// <summary>Reading CRIU's statistics of a pre-dump.</summary>
    ReadStatistics,

    /// <summary>The final stage: dump, copy and restore (<see cref="IPhaulLocal.DumpCopyRestoreAsync"/>).</summary>
    DumpCopyRestore,

    /// <summary>Running the hooks (<see cref="PhaulClientOptions.Hooks"/>) before the first iteration or after a pre-dump.</summary>
    RunHooks,

    /// <summary>
    /// Checking, before anything freezes, that CRIU can dump the tree: not a kernel thread, not the host's init, not phaul or
    /// its ancestor, and within CRIU's PID-namespace and session rules. A failure here is bad input: the message names the fix.
    /// </summary>
    CheckTree,
}
