namespace Phaul;

/// <summary>What the forecast is made from: the tree's memory, the link (none in process) and the dirty rate (unknown: every page).</summary>
internal sealed record ForecastInputs(long MemoryBytes, LinkMeasurement? Link, double? DirtyBytesPerSecond);

/// <summary>Predicts each strategy's downtime and total time from the <see cref="CostModel"/> and the migration's convergence rules.</summary>
internal sealed class StrategyForecaster(CostModel model, ConvergencePolicy convergence)
{
    private const double PageBytes = 4096;

    public StrategyForecast Predict(MigrationStrategy strategy, ForecastInputs inputs)
    {
        var memory = (double)inputs.MemoryBytes;
        switch (strategy)
        {
            case MigrationStrategy.StopAndCopy:
                return Stopped(strategy, inputs, TimeSpan.Zero, memory);
            case MigrationStrategy.PreCopy:
                var (preDumps, left) = PreCopy(inputs);
                return Stopped(strategy, inputs, preDumps, left);
            case MigrationStrategy.PostCopy:
                return Lazy(strategy, inputs, TimeSpan.Zero, memory);
            case MigrationStrategy.Hybrid:
                var (hybridPreDumps, lazyLeft) = PreCopy(inputs);
                return Lazy(strategy, inputs, hybridPreDumps, lazyLeft);
            default:
                throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "Only a strategy that runs can be predicted.");
        }
    }

    // The final dump sends `left` bytes and the restore fills all the memory, from the last images and their parents.
    private StrategyForecast Stopped(MigrationStrategy strategy, ForecastInputs inputs, TimeSpan preDumps, double left)
    {
        var downtime = model.StopAndCopyFixedWith(inputs.Link) + model.PageStream(left, inputs.Link) + model.PageRestore.Of(inputs.MemoryBytes)
                       + CostModel.RoundTrips(model.StopAndCopyRoundTrips, inputs.Link);
        return new StrategyForecast(strategy, downtime, model.SetupWith(inputs.Link) + preDumps + downtime);
    }

    // The tree resumes before `left` bytes follow lazily; what pre-copy sent is restored from the parent images in the freeze.
    private StrategyForecast Lazy(MigrationStrategy strategy, ForecastInputs inputs, TimeSpan preDumps, double left)
    {
        var downtime = model.PostCopyFixedWith(inputs.Link) + model.LazyScan.Of(inputs.MemoryBytes) + model.PageRestore.Of(inputs.MemoryBytes - left)
                       + CostModel.RoundTrips(model.PostCopyRoundTrips, inputs.Link);
        var afterResume = model.LazyStream(left, inputs.Link);
        return new StrategyForecast(strategy, downtime, model.SetupWith(inputs.Link) + preDumps + downtime + afterResume);
    }

    /// <summary>
    /// Runs the pre-dumps on paper under the convergence rules: each sends what the tree dirtied while the one before
    /// ran (all of it at first, and every page when the dirty rate is unknown). Returns their time and what is left for the final dump.
    /// </summary>
    private (TimeSpan Time, double Left) PreCopy(ForecastInputs inputs)
    {
        var memory = (double)inputs.MemoryBytes;
        var iterations = new List<DumpStatistics>();
        var total = TimeSpan.Zero;
        var send = memory;
        while (true)
        {
            var pageTime = model.PageStream(send, inputs.Link);
            var time = model.PreDumpFixed + pageTime;
            total += time;
            iterations.Add(new DumpStatistics
            {
                PagesWritten = (ulong)(send / PageBytes),
                PagesSkippedParent = iterations.Count == 0 ? 0 : (ulong)((memory - send) / PageBytes),
                MemwriteTime = pageTime,
            });
            var dirtied = inputs.DirtyBytesPerSecond is { } rate ? Math.Min(memory, rate * time.TotalSeconds) : memory;
            if (convergence.Evaluate(iterations) is not null)
                return (total, dirtied);
            send = dirtied;
        }
    }
}
