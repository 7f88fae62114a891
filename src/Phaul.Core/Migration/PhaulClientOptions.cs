using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// How a <see cref="PhaulClient"/> migrates; every property has a working default. A record, so that a variant is
/// <c>options with { Strategy = ... }</c>.
/// </summary>
public sealed record PhaulClientOptions
{
    /// <summary>
    /// Which strategy to use. Default <see cref="MigrationStrategy.Auto"/>: of those both ends support, the one
    /// predicted best from the tree's memory, the link and the dirty rate; the report says which one ran and why.
    /// </summary>
    public MigrationStrategy Strategy { get; init; } = MigrationStrategy.Auto;

    /// <summary>
    /// What to do when the <see cref="Strategy"/> asked for cannot run between the two ends. Default
    /// <see langword="true"/>: migrate with the best one that can (pre-copy falls back to stop-and-copy;
    /// post-copy to pre-copy, then stop-and-copy; hybrid to post-copy, pre-copy, stop-and-copy) and say why in
    /// <see cref="MigrationReport.StrategyNote"/>. <see langword="false"/>: fail before the tree is touched,
    /// with a <see cref="StrategyUnavailableException"/> naming what is missing and the fix.
    /// </summary>
    public bool AllowFallback { get; init; } = true;

    // When to stop pre-copying: after each pre-dump these rules are checked in this order, and the first that holds
    // starts the final dump: PagesWrittenFloor, DowntimeTarget, SkippedShareGoal, MaxGrowth, MaxIterations.

    /// <summary>The most pre-dumps to run; at least 1. Default 8 (P.Haul, go-criu).</summary>
    public int MaxIterations { get; init; } = 8;

    /// <summary>Stop pre-copying once a pre-dump writes at most this many pages. Default 64 (P.Haul, go-criu).</summary>
    public ulong PagesWrittenFloor { get; init; } = 64;

    /// <summary>
    /// Stop pre-copying when a pre-dump writes more than <c>(1 + MaxGrowth)</c> times the pages of the one before:
    /// the tree dirties memory faster than it is copied. Default 0.1, i.e. 10% (P.Haul).
    /// </summary>
    public double MaxGrowth { get; init; } = 0.1;

    /// <summary>
    /// Stop pre-copying when the share of pages skipped because the parent had them, out of pages written plus
    /// skipped, reaches this goal (0 to 1): that much memory is already on the destination.
    /// Default 0.7 (LXD's <c>migration.incremental.memory.goal</c> default, 70%).
    /// </summary>
    public double SkippedShareGoal { get; init; } = 0.7;

    /// <summary>
    /// When set, the downtime to stay within. <see cref="MigrationStrategy.Auto"/> takes, of the strategies predicted to
    /// meet it, the one with the shortest total time (when none is, the one predicted closest). Pre-copy and hybrid stop
    /// pre-copying once the final dump is expected to send its pages within this time: the last pre-dump's pages
    /// written (what the tree dirtied in one iteration) at the rate all pre-dumps so far wrote pages (pages written over
    /// CRIU's memwrite time); that covers the page transfer only, not CRIU's fixed costs of freezing, dumping the rest
    /// and restoring. Default <see langword="null"/>: no target.
    /// </summary>
    public TimeSpan? DowntimeTarget { get; init; }

    /// <summary>CRIU's log level for pre-dumps (0 to 4). Default 4, everything, as logs are the only diagnosis.</summary>
    public int CriuLogLevel { get; init; } = 4;

    /// <summary>
    /// Creates the source's CRIU for one migration; the client disposes it afterwards. Default: a new
    /// <see cref="Criu"/> (CRIU from <c>$PHAUL_CRIU</c> or PATH), prepared before and cleaned up after the loop.
    /// </summary>
    public Func<ICriu>? CriuFactory { get; init; }

    /// <summary>Adjusts each pre-dump's options (e.g. <c>TcpEstablished</c>) after Phaul filled them in.</summary>
    public Action<CriuOpts>? ConfigurePreDump { get; init; }

    /// <summary>
    /// Work that keeps pace with the migration (e.g. Phaul.FileSystem's copies of the tree's files), called in this
    /// order before the first iteration, after each pre-dump, during the final freeze (in the final dump's post-dump
    /// notification, before the <see cref="IPhaulLocal"/>'s own), and at the end. Default empty.
    /// </summary>
    public IReadOnlyList<IMigrationHook> Hooks { get; init; } = [];

    /// <summary>
    /// Told each step of the loop as it happens (<see cref="MigrationProgress"/>), e.g. for a progress display; the final
    /// stage's own steps come from the <see cref="IPhaulLocal"/>'s sink. Called on the migration's thread, some calls
    /// while the tree is frozen: keep it short. Its exceptions are logged and ignored. Default null: none.
    /// </summary>
    public IProgress<MigrationProgress>? Progress { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Strategy))
            throw new ArgumentException($"PhaulClientOptions.Strategy has no meaning: {Strategy}.", "options");
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"PhaulClientOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
        Convergence.Validate();
        if (Hooks is null || Hooks.Any(hook => hook is null))
            throw new ArgumentException("PhaulClientOptions.Hooks must not be or hold null.", "options");
    }

    internal ConvergencePolicy Convergence => new()
    {
        MaxIterations = MaxIterations,
        PagesWrittenFloor = PagesWrittenFloor,
        MaxGrowth = MaxGrowth,
        SkippedShareGoal = SkippedShareGoal,
        DowntimeTarget = DowntimeTarget,
    };
}
