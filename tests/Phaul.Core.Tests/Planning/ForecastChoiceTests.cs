namespace Phaul.Core.Tests.Planning;

public sealed class ForecastChoiceTests
{
    private static StrategyForecast Forecast(MigrationStrategy strategy, int downtimeMs, int totalMs) =>
        new(strategy, TimeSpan.FromMilliseconds(downtimeMs), TimeSpan.FromMilliseconds(totalMs));

    [Fact]
    public void Without_a_target_the_shortest_downtime_wins()
    {
        var (chosen, reason) = ForecastChoice.Choose(
            [Forecast(MigrationStrategy.StopAndCopy, 5000, 5100), Forecast(MigrationStrategy.PostCopy, 150, 4000)], null);

        Assert.Equal(MigrationStrategy.PostCopy, chosen.Strategy);
        Assert.Contains("shortest predicted downtime", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_downtime_within_ten_percent_with_a_shorter_total_time_wins()
    {
        var (chosen, reason) = ForecastChoice.Choose(
            [Forecast(MigrationStrategy.StopAndCopy, 88, 160), Forecast(MigrationStrategy.PostCopy, 82, 250)], null);

        Assert.Equal(MigrationStrategy.StopAndCopy, chosen.Strategy);
        Assert.Contains("within 10% of the shortest predicted downtime (post-copy (82 ms", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_a_target_the_shortest_total_time_among_those_meeting_it_wins()
    {
        IReadOnlyList<StrategyForecast> forecasts =
            [Forecast(MigrationStrategy.StopAndCopy, 900, 1000), Forecast(MigrationStrategy.PostCopy, 120, 1400), Forecast(MigrationStrategy.Hybrid, 300, 3000)];

        Assert.Equal(MigrationStrategy.StopAndCopy, ForecastChoice.Choose(forecasts, TimeSpan.FromSeconds(1)).Chosen.Strategy);
        var (chosen, reason) = ForecastChoice.Choose(forecasts, TimeSpan.FromMilliseconds(500));
        Assert.Equal(MigrationStrategy.PostCopy, chosen.Strategy);
        Assert.Contains("predicted to meet the 500 ms downtime target", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void When_no_strategy_meets_the_target_the_closest_runs_and_the_reason_says_so()
    {
        var (chosen, reason) = ForecastChoice.Choose(
            [Forecast(MigrationStrategy.StopAndCopy, 900, 1000), Forecast(MigrationStrategy.PostCopy, 120, 1400)], TimeSpan.FromMilliseconds(50));

        Assert.Equal(MigrationStrategy.PostCopy, chosen.Strategy);
        Assert.Contains("no strategy is predicted to meet the 50 ms downtime target", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Among_equals_the_strategy_that_cannot_lose_the_process_wins()
    {
        var (chosen, _) = ForecastChoice.Choose(
            [Forecast(MigrationStrategy.Hybrid, 100, 500), Forecast(MigrationStrategy.PreCopy, 100, 500)], null);

        Assert.Equal(MigrationStrategy.PreCopy, chosen.Strategy);
    }

    [Fact]
    public void The_ranking_puts_the_chosen_first_then_by_downtime()
    {
        var slow = Forecast(MigrationStrategy.StopAndCopy, 900, 1000);
        var fast = Forecast(MigrationStrategy.PostCopy, 120, 1400);
        var middle = Forecast(MigrationStrategy.Hybrid, 300, 3000);

        Assert.Equal([slow, fast, middle], ForecastChoice.Ranked([fast, middle, slow], slow));
    }
}
