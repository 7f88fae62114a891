namespace Phaul;

// What each strategy would take, from the tree's memory, the link and the dirty rate measured before the freeze.
public sealed partial class PhaulClient
{
    /// <summary>
    /// Measures and predicts every strategy in <paramref name="supported"/>; <see langword="null"/> (and the fixed order
    /// decides) when there is nothing to predict or the tree's memory cannot be read.
    /// </summary>
    /// <exception cref="Transport.TransportException">The link probe failed: the connection is unusable, and nothing was frozen.</exception>
    private async Task<MigrationForecast?> ForecastAsync(IReadOnlyList<MigrationStrategy> supported, CancellationToken cancellationToken)
    {
        if (supported.Count == 0)
            return null;
        if (_dependencies.ReadTreeMemory(_config.Pid) is not { } memory)
        {
            _logger.ForecastUnavailable(_config.Pid, "the tree's memory could not be read");
            return null;
        }
        // The bandwidth probe sends megabytes: only when auto has a choice to make with it.
        var choosing = _options.Strategy == MigrationStrategy.Auto && supported.Count > 1;
        var link = _remote is ILinkProbe probe ? await probe.MeasureLinkAsync(choosing, cancellationToken).ConfigureAwait(false) : null;
        // Only pre-copy's forecast depends on the dirty rate: the sample's wait is spent only when it could run.
        var dirtyRate = supported.Any(StrategySelection.NeedsMemoryTracking)
            ? await _dependencies.SampleDirtyRate(_config.Pid, memory, cancellationToken).ConfigureAwait(false)
            : null;
        var inputs = new ForecastInputs(memory, link, dirtyRate);
        var forecaster = new StrategyForecaster(CostModel.Default, _convergence);
        return new MigrationForecast
        {
            MemoryBytes = memory,
            LinkBytesPerSecond = link?.BytesPerSecond,
            LinkRoundTrip = link?.RoundTrip,
            DirtyBytesPerSecond = dirtyRate,
            Strategies = [.. supported.Select(strategy => forecaster.Predict(strategy, inputs))],
        };
    }

    /// <summary>The forecast for the report: the chosen strategy's prediction first, and why it was chosen.</summary>
    private MigrationForecast Explain(MigrationForecast forecast, StrategyDecision decision, string? autoReason)
    {
        var chosen = forecast.For(decision.Strategy)
                     ?? throw new InvalidOperationException($"No forecast was made for {StrategySelection.Name(decision.Strategy)}, the strategy chosen.");
        var choice = autoReason ?? $"{StrategySelection.Name(decision.Strategy)}: {decision.Note ?? "asked for"}";
        _logger.ForecastMade(_config.Pid, forecast.MemoryBytes, forecast.LinkBytesPerSecond, forecast.LinkRoundTrip?.TotalMilliseconds,
                             forecast.DirtyBytesPerSecond, choice);
        return forecast with { Strategies = ForecastChoice.Ranked(forecast.Strategies, chosen), Choice = choice };
    }
}
