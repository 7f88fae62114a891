namespace Phaul.Core.Tests.Planning;

/// <summary>The forecast's shape: what grows with memory and with a slower link, and what pre-copy's dirty rate changes.</summary>
public sealed class StrategyForecasterTests
{
    private const long MiB = 1 << 20;
    private static readonly LinkMeasurement FastLink = new(1e9, TimeSpan.FromMilliseconds(0.1));
    private static readonly LinkMeasurement SlowLink = new(50e6, TimeSpan.FromMilliseconds(20));
    private static readonly StrategyForecaster Forecaster = new(CostModel.Default, new ConvergencePolicy());

    [Fact]
    public void Stop_and_copy_downtime_grows_with_memory_and_post_copy_downtime_barely()
    {
        var small = new ForecastInputs(4 * MiB, FastLink, null);
        var large = new ForecastInputs(1024 * MiB, FastLink, null);

        var stopAndCopy = (Forecaster.Predict(MigrationStrategy.StopAndCopy, small), Forecaster.Predict(MigrationStrategy.StopAndCopy, large));
        var postCopy = (Forecaster.Predict(MigrationStrategy.PostCopy, small), Forecaster.Predict(MigrationStrategy.PostCopy, large));

        Assert.True(stopAndCopy.Item2.Downtime > stopAndCopy.Item1.Downtime * 10, $"stop-and-copy: {stopAndCopy}");
        Assert.True(postCopy.Item2.Downtime < postCopy.Item1.Downtime * 3, $"post-copy: {postCopy}");
        Assert.True(postCopy.Item2.TotalTime > postCopy.Item2.Downtime * 5, $"post-copy's pages follow after the resume: {postCopy.Item2}");
    }

    [Fact]
    public void A_slower_link_lengthens_stop_and_copy_downtime_and_post_copy_total_time()
    {
        var fast = new ForecastInputs(256 * MiB, FastLink, null);
        var slow = new ForecastInputs(256 * MiB, SlowLink, null);

        Assert.True(Forecaster.Predict(MigrationStrategy.StopAndCopy, slow).Downtime > Forecaster.Predict(MigrationStrategy.StopAndCopy, fast).Downtime
                    + TimeSpan.FromSeconds(3));
        Assert.True(Forecaster.Predict(MigrationStrategy.PostCopy, slow).TotalTime > Forecaster.Predict(MigrationStrategy.PostCopy, fast).TotalTime
                    + TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Pre_copy_of_a_quiet_tree_leaves_little_for_the_freeze_and_of_an_unmeasured_one_resends_everything()
    {
        var quiet = new ForecastInputs(512 * MiB, SlowLink, 1e6);
        var unknown = new ForecastInputs(512 * MiB, SlowLink, null);
        var stopAndCopy = Forecaster.Predict(MigrationStrategy.StopAndCopy, quiet);

        var quietPreCopy = Forecaster.Predict(MigrationStrategy.PreCopy, quiet);
        var unknownPreCopy = Forecaster.Predict(MigrationStrategy.PreCopy, unknown);

        Assert.True(quietPreCopy.Downtime < stopAndCopy.Downtime - TimeSpan.FromSeconds(5), $"{quietPreCopy} against {stopAndCopy}");
        Assert.True(quietPreCopy.TotalTime > stopAndCopy.TotalTime, "pre-copy sends the memory once before the freeze");
        Assert.True(unknownPreCopy.Downtime >= stopAndCopy.Downtime, $"{unknownPreCopy} against {stopAndCopy}");
        Assert.True(unknownPreCopy.TotalTime > stopAndCopy.TotalTime * 2, $"{unknownPreCopy} against {stopAndCopy}");
    }

    [Fact]
    public void Hybrid_restores_what_pre_copy_sent_in_the_freeze_and_leaves_less_to_follow()
    {
        var quiet = new ForecastInputs(512 * MiB, SlowLink, 1e6);

        var hybrid = Forecaster.Predict(MigrationStrategy.Hybrid, quiet);
        var postCopy = Forecaster.Predict(MigrationStrategy.PostCopy, quiet);

        Assert.True(hybrid.Downtime > postCopy.Downtime, $"{hybrid} against {postCopy}");
        Assert.True(hybrid.TotalTime - hybrid.Downtime < postCopy.TotalTime - postCopy.Downtime, $"{hybrid} against {postCopy}");
    }

    [Fact]
    public void Without_a_link_the_prediction_is_the_local_costs_alone()
    {
        var inProcess = Forecaster.Predict(MigrationStrategy.StopAndCopy, new ForecastInputs(64 * MiB, null, null));
        var overLink = Forecaster.Predict(MigrationStrategy.StopAndCopy, new ForecastInputs(64 * MiB, SlowLink, null));

        Assert.True(inProcess.Downtime < overLink.Downtime);
        Assert.True(inProcess.Downtime > CostModel.Default.StopAndCopyFixed);
    }

    [Fact]
    public void Auto_never_predicts_itself()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Forecaster.Predict(MigrationStrategy.Auto, new ForecastInputs(MiB, null, null)));
    }
}
