namespace Phaul;

/// <summary>
/// What the source measured before it chose the strategy, and what it predicted for each strategy both ends support:
/// the prediction to hold next to the outcome (<see cref="MigrationReport.Freeze"/>, <see cref="MigrationReport.PostCopy"/>).
/// </summary>
public sealed record MigrationForecast
{
    /// <summary>The tree's anonymous resident memory when measured: what a dump writes.</summary>
    public long MemoryBytes { get; init; }

    /// <summary>
    /// How fast a burst of bytes crossed the migration's connection (encryption included), in bytes per second;
    /// <see langword="null"/> when the destination is in this process, with no link between, or when auto had no choice
    /// to make with it (a strategy asked for, or one supported): the probe sends megabytes.
    /// </summary>
    public double? LinkBytesPerSecond { get; init; }

    /// <summary>The shortest of a few request-answer round trips on the migration's connection; <see langword="null"/> when the destination is in this process.</summary>
    public TimeSpan? LinkRoundTrip { get; init; }

    /// <summary>
    /// How fast the tree dirtied its memory, in bytes per second, from a sample of its pages read twice a short
    /// while apart; <see langword="null"/> when it could not be sampled, or was not needed (no strategy that pre-copies could run).
    /// </summary>
    public double? DirtyBytesPerSecond { get; init; }

    /// <summary>The prediction for each strategy both ends support, best choice first.</summary>
    public IReadOnlyList<StrategyForecast> Strategies { get; init; } = [];

    /// <summary>Why the strategy that ran was chosen, in one sentence.</summary>
    public string Choice { get; init; } = "";

    /// <summary>The prediction for <paramref name="strategy"/>, if it was made.</summary>
    public StrategyForecast? For(MigrationStrategy strategy) => Strategies.FirstOrDefault(forecast => forecast.Strategy == strategy);
}
