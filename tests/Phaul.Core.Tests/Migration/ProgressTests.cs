namespace Phaul.Core.Tests.Migration;

public class ProgressTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_sink_is_told_each_step_of_the_loop_in_order_with_its_figures()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(40, 4960));   // at the 64-page floor: stop
        var steps = new List<MigrationProgress>();

        await harness.Client(strategy: MigrationStrategy.PreCopy, stopRules: new PhaulClientOptions { Progress = new Recorder(steps) })
                     .MigrateAsync(Token);

        Assert.Equal([MigrationProgressKind.StrategyChosen,
                      MigrationProgressKind.PreDumpStarting, MigrationProgressKind.PreDumpCompleted,
                      MigrationProgressKind.PreDumpStarting, MigrationProgressKind.PreDumpCompleted, MigrationProgressKind.PreCopyStopped,
                      MigrationProgressKind.FinalStageStarting],
                     steps.Select(s => s.Kind));
        Assert.Equal(MigrationStrategy.PreCopy, steps[0].Strategy);
        Assert.Equal((1, 40UL), (steps[4].Iteration!.Value, steps[4].Dump!.PagesWritten));
        Assert.Equal(PreCopyStopReason.PagesWrittenFloor, steps[5].StopReason);
        Assert.Equal(2, steps[6].Iteration);
    }

    [Fact]
    public async Task A_sink_that_throws_does_not_fail_the_migration()
    {
        // Failure handled: the embedder's display throws, some calls while the tree is frozen; the migration goes on.
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(40));

        var report = await harness.Client(strategy: MigrationStrategy.PreCopy, stopRules: new PhaulClientOptions { Progress = new Throwing() })
                                  .MigrateAsync(Token);

        Assert.Equal(MigrationStrategy.PreCopy, report.Strategy);
        Assert.Equal("final 0", harness.Calls[^2]);
    }

    private sealed class Recorder(List<MigrationProgress> steps) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => steps.Add(value);
    }

    private sealed class Throwing : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => throw new InvalidOperationException("display gone");
    }
}
