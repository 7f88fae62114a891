namespace Phaul;

/// <summary>What one strategy was predicted to take, from the measurements of a <see cref="MigrationForecast"/>.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="Downtime">From the freeze until the tree runs on the destination.</param>
/// <param name="TotalTime">The whole migration: pre-copy's iterations before the freeze, post-copy's pages after the resume.</param>
public sealed record StrategyForecast(MigrationStrategy Strategy, TimeSpan Downtime, TimeSpan TotalTime);
