using Phaul.Rpc;

namespace Phaul;

/// <summary>How a <see cref="PhaulClient"/> migrates; every property has a working default.</summary>
public sealed class PhaulClientOptions
{
    /// <summary>
    /// Which strategy to use. Default <see cref="StrategyChoice.Auto"/>: the best one both ends support
    /// (hybrid, post-copy, pre-copy, stop-and-copy, in that order); the report says which one ran and why.
    /// </summary>
    public StrategyChoice Strategy { get; init; } = StrategyChoice.Auto;

    /// <summary>
    /// What to do when the <see cref="Strategy"/> asked for cannot run between the two ends. Default
    /// <see langword="true"/>: migrate with the best one that can (pre-copy falls back to stop-and-copy;
    /// post-copy to pre-copy, then stop-and-copy; hybrid to post-copy, pre-copy, stop-and-copy) and say why in
    /// <see cref="MigrationReport.StrategyNote"/>. <see langword="false"/>: fail before the tree is touched,
    /// with a <see cref="StrategyUnavailableException"/> naming what is missing and the fix.
    /// </summary>
    public bool AllowFallback { get; init; } = true;

    /// <summary>When to stop pre-copying. Default: <see cref="ConvergencePolicy"/>'s defaults.</summary>
    public ConvergencePolicy Policy { get; init; } = new();

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

    internal void Validate()
    {
        if (!Enum.IsDefined(Strategy))
            throw new ArgumentException($"PhaulClientOptions.Strategy has no meaning: {Strategy}.", "options");
        if (CriuLogLevel is < 0 or > 4)
            throw new ArgumentException($"PhaulClientOptions.CriuLogLevel must be 0 to 4, got {CriuLogLevel}.", "options");
        if (Policy is null)
            throw new ArgumentException("PhaulClientOptions.Policy must not be null.", "options");
        Policy.Validate();
        if (Hooks is null || Hooks.Any(hook => hook is null))
            throw new ArgumentException("PhaulClientOptions.Hooks must not be or hold null.", "options");
    }
}
