namespace Phaul.Core.Tests.Migration;

/// <summary>When PhaulClient calls its hooks, and what a failing one does, against a mocked CRIU, remote and local.</summary>
public class MigrationHookTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hooks_run_before_the_first_iteration_after_each_pre_dump_and_during_the_freeze_after_the_dump_before_the_locals_post_dump()
    {
        using var harness = new LoopHarness();
        harness.Hooks = [new RecordingHook("a", harness.Calls), new RecordingHook("b", harness.Calls)];
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(40, 4960)); // at the 64-page floor: stop

        var report = await harness.Client(MigrationStrategy.PreCopy).MigrateAsync(Token);

        Assert.Equal(
            ["feature-check", "a before", "b before",
             "start", "pre-dump 0", "stop", "a after 0", "b after 0",
             "start", "pre-dump 1", "stop", "a after 1", "b after 1",
             "start", "final 1", "dump", "a frozen", "b frozen", "local post-dump", "stop",
             "a complete migrated", "b complete migrated"],
            harness.Calls);
        MigrationHookPhase[] phases = [MigrationHookPhase.BeforeIterations, MigrationHookPhase.AfterPreDump, MigrationHookPhase.AfterPreDump, MigrationHookPhase.WhileFrozen];
        Assert.Equal(phases.SelectMany(phase => new[] { phase, phase }), report.Hooks.Select(hook => hook.Phase));
        Assert.Equal(["a", "b", "a", "b", "a", "b", "a", "b"], report.Hooks.Select(hook => hook.Hook));
        Assert.Equal([null, null, 0, 0, 1, 1, null, null], report.Hooks.Select(hook => hook.Iteration));
        Assert.Equal([1L, 1L, 2L, 2L, 3L, 3L, 4L, 4L], report.Hooks.Select(hook => hook.Figures["runs"]));
    }

    [Fact]
    public async Task Each_hook_phase_reaches_the_progress_sink_as_the_report_has_it()
    {
        using var harness = new LoopHarness();
        harness.Hooks = [new RecordingHook("files", harness.Calls)];
        harness.DumpStats.Enqueue(Stats.Dump(40));
        var hooks = new List<MigrationHookReport>();
        var sink = new Progress(step =>
        {
            if (step.Kind == MigrationProgressKind.HookCompleted)
                hooks.Add(step.Hook!);
        });

        var report = await harness.Client(MigrationStrategy.PreCopy, new PhaulClientOptions { Progress = sink }).MigrateAsync(Token);

        Assert.Equal(report.Hooks, hooks);
        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.AfterPreDump, MigrationHookPhase.WhileFrozen], hooks.Select(h => h.Phase));
    }

    private sealed class Progress(Action<MigrationProgress> report) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => report(value);
    }

    // Handles: a hook fails during the freeze. The notification throws, so CRIU fails the dump and resumes the tree;
    // the migration names the hook as the cause, and every hook is completed as after a failure.
    [Fact]
    public async Task A_hook_failing_during_the_freeze_fails_the_dump_so_the_tree_resumes_and_the_hooks_complete_unmigrated()
    {
        using var harness = new LoopHarness { MemTrack = false };
        harness.Hooks = [new RecordingHook("files", harness.Calls) { FailFrozen = true }, new RecordingHook("later", harness.Calls)];

        var failure = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(["files before", "later before", "start", "final -", "dump", "files frozen", "dump failed, tree resumed", "end-stream 9", "stop",
                      "files complete failed", "later complete failed"],
                     harness.Calls.Where(call => call != "feature-check"));
        Assert.False(failure.FinalStageCompleted);
        Assert.Equal(MigrationStep.DumpCopyRestore, failure.Step);
        var cause = Assert.IsType<MigrationHookException>(failure.InnerException);
        Assert.Contains("'files' failed during the freeze", cause.Message);
        Assert.Contains("rsync died", cause.Message);
        Assert.IsType<IOException>(cause.InnerException);
        Assert.Contains("The tree was left running on the source.", failure.Message);
    }

    // Handles: a hook fails before the iterations. Nothing of the tree was touched: no iteration started.
    [Fact]
    public async Task A_hook_failing_before_the_iterations_fails_before_any_iteration_and_the_hooks_complete_unmigrated()
    {
        using var harness = new LoopHarness();
        harness.Hooks = [new RecordingHook("files", harness.Calls) { FailBefore = true }];

        var failure = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(["files before", "files complete failed"], harness.Calls.Where(call => call != "feature-check"));
        Assert.Equal(MigrationStep.RunHooks, failure.Step);
        Assert.IsType<IOException>(failure.InnerException);
    }

    // Handles: the migration is cancelled during a pre-dump; the hooks complete as after a failure.
    [Fact]
    public async Task A_cancelled_migration_completes_the_hooks_unmigrated()
    {
        using var harness = new LoopHarness();
        harness.Hooks = [new RecordingHook("files", harness.Calls)];
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        harness.DuringPreDump = async token =>
        {
            await cancel.CancelAsync();
            token.ThrowIfCancellationRequested();
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client(MigrationStrategy.PreCopy).MigrateAsync(cancel.Token));

        Assert.Equal("files complete failed", harness.Calls[^1]);
    }

    // Handles: a hook's completion fails after a success; the tree runs on the destination, so the migration succeeds,
    // and the other hooks still complete.
    [Fact]
    public async Task A_failing_completion_after_a_success_does_not_fail_the_migration_nor_skip_the_other_hooks()
    {
        using var harness = new LoopHarness { MemTrack = false };
        harness.Hooks = [new RecordingHook("files", harness.Calls) { FailComplete = true }, new RecordingHook("later", harness.Calls)];

        var report = await harness.Client().MigrateAsync(Token);

        Assert.Equal(["files complete migrated", "later complete migrated"], harness.Calls[^2..]);
        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.BeforeIterations, MigrationHookPhase.WhileFrozen, MigrationHookPhase.WhileFrozen],
                     report.Hooks.Select(hook => hook.Phase));
    }

    private sealed class RecordingHook(string name, List<string> calls) : IMigrationHook
    {
        private int _runs;

        public string Name => name;

        public bool FailBefore { get; init; }

        public bool FailFrozen { get; init; }

        public bool FailComplete { get; init; }

        public Task<IReadOnlyDictionary<string, long>> BeforeIterationsAsync(CancellationToken cancellationToken) => Run("before", FailBefore);

        public Task<IReadOnlyDictionary<string, long>> AfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
            Run($"after {iteration}", fail: false);

        public Task<IReadOnlyDictionary<string, long>> WhileFrozenAsync(CancellationToken cancellationToken) => Run("frozen", FailFrozen);

        public Task CompleteAsync(bool migrated, CancellationToken cancellationToken)
        {
            calls.Add($"{name} complete {(migrated ? "migrated" : "failed")}");
            return FailComplete ? throw new IOException("clean-up failed") : Task.CompletedTask;
        }

        private Task<IReadOnlyDictionary<string, long>> Run(string phase, bool fail)
        {
            calls.Add($"{name} {phase}");
            if (fail)
                throw new IOException("rsync died");
            return Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long> { ["runs"] = ++_runs });
        }
    }
}
