using System.Globalization;

namespace Phaul;

/// <summary>
/// How auto chooses among the strategies both ends support, from their forecasts. With a downtime target: of those
/// predicted to meet it, the one with the shortest total time; when none is, the one with the shortest downtime.
/// Without one: the shortest downtime, unless another comes within <see cref="Tolerance"/> of it with a shorter total
/// time. Among equals, a strategy whose memory cannot be lost after the resume (no post-copy) wins.
/// </summary>
internal static class ForecastChoice
{
    /// <summary>Predicted downtimes this close count as equal: the model is not finer than that.</summary>
    public const double Tolerance = 0.10;

    private static readonly TimeSpan ToleranceFloor = TimeSpan.FromMilliseconds(10);

    private static readonly MigrationStrategy[] SafestFirst =
        [MigrationStrategy.StopAndCopy, MigrationStrategy.PreCopy, MigrationStrategy.PostCopy, MigrationStrategy.Hybrid];

    /// <summary>The forecast to follow and why, in one sentence.</summary>
    /// <param name="forecasts">One per supported strategy; not empty.</param>
    /// <param name="downtimeTarget">The user's downtime target, if any.</param>
    public static (StrategyForecast Chosen, string Reason) Choose(IReadOnlyList<StrategyForecast> forecasts, TimeSpan? downtimeTarget)
    {
        if (forecasts.Count == 0)
            throw new ArgumentException("There is nothing to choose from.", nameof(forecasts));
        if (downtimeTarget is { } target)
        {
            var meeting = forecasts.Where(forecast => forecast.Downtime <= target).ToList();
            if (meeting.Count > 0)
            {
                var fastest = Best(meeting, forecast => forecast.TotalTime);
                return (fastest, $"{Describe(fastest)}: of the strategies predicted to meet the {Ms(target)} downtime target, the shortest total time");
            }
            var shortest = Best(forecasts, forecast => forecast.Downtime);
            return (shortest, $"{Describe(shortest)}: no strategy is predicted to meet the {Ms(target)} downtime target; this one comes closest");
        }
        var quickest = Best(forecasts, forecast => forecast.Downtime);
        var nearlyAsQuick = forecasts.Where(forecast => forecast.Downtime <= quickest.Downtime + Slack(quickest.Downtime)).ToList();
        var chosen = Best(nearlyAsQuick, forecast => forecast.TotalTime);
        return chosen == quickest
            ? (chosen, $"{Describe(chosen)}: the shortest predicted downtime")
            : (chosen, $"{Describe(chosen)}: within 10% of the shortest predicted downtime ({Describe(quickest)}), with a shorter total time");
    }

    /// <summary>The forecasts in the order <see cref="Choose"/> ranks them when there is no target, for the report.</summary>
    public static IReadOnlyList<StrategyForecast> Ranked(IReadOnlyList<StrategyForecast> forecasts, StrategyForecast chosen) =>
        [chosen, .. forecasts.Where(forecast => forecast != chosen).OrderBy(forecast => forecast.Downtime).ThenBy(Safety)];

    private static TimeSpan Slack(TimeSpan downtime) => TimeSpan.FromTicks(Math.Max((long)(downtime.Ticks * Tolerance), ToleranceFloor.Ticks));

    // The least by the key, a tie going to the safer strategy.
    private static StrategyForecast Best(IEnumerable<StrategyForecast> forecasts, Func<StrategyForecast, TimeSpan> key) =>
        forecasts.OrderBy(key).ThenBy(Safety).First();

    private static int Safety(StrategyForecast forecast) => Array.IndexOf(SafestFirst, forecast.Strategy);

    private static string Describe(StrategyForecast forecast) =>
        $"{StrategySelection.Name(forecast.Strategy)} ({Ms(forecast.Downtime)} downtime, {Ms(forecast.TotalTime)} in all)";

    private static string Ms(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalMilliseconds:F0} ms");
}
