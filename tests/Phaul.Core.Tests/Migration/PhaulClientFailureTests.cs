using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

// Every test here proves a failure path: the step that failed is named, the tree is left on the source
// (the final stage never completed), and StopIter ran once for every started iteration, so no page
// server is left running on the destination; when the source's CRIU failed inside an iteration, the
// memory stream was ended first, so that page server does not wait for pages until its timeout.
public class PhaulClientFailureTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static LoopHarness WithPreDumps(int count)
    {
        var harness = new LoopHarness();
        for (var i = 0; i < count - 1; i++)
            harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(10));
        return harness;
    }

    [Fact]
    public async Task A_tree_CRIU_cannot_dump_fails_at_CheckTree_before_CRIU_or_the_destination_is_touched()
    {
        // Handles: pid 1, a kernel thread, phaul's own ancestor or a PID-namespace rule CRIU would refuse inside the freeze.
        using var harness = new LoopHarness { TreeCheck = pid => TreeVerdict.Refused($"pid {pid} is a kernel thread. Fix: give another pid.") };

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.CheckTree, error.Step);
        Assert.False(error.FinalStageCompleted);
        Assert.IsType<TreeNotDumpableException>(error.InnerException);
        Assert.Contains("pid 4321 is a kernel thread. Fix: give another pid.", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Calls);
        harness.Remote.VerifyNoOtherCalls();
        harness.Local.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task FailingStartIter_IsNamed_AndOnlyStartedIterationsAreStopped()
    {
        // Handles: the destination cannot start iteration 1's page server.
        using var harness = WithPreDumps(2);
        harness.FailStartAt = 1;

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.StartIteration, error.Step);
        Assert.Equal(1, error.Iteration);
        Assert.False(error.FinalStageCompleted);
        Assert.IsType<IOException>(error.InnerException);
        Assert.Equal(["feature-check", "start", "pre-dump 0", "stop", "start"], harness.Calls);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task FailingPreDump_StopsItsIterationOnce_AndIsNamed()
    {
        // Handles: CRIU's pre-dump fails (the tree keeps running; a pre-dump never stops it).
        using var harness = WithPreDumps(3);
        harness.FailPreDumpAt = 1;

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.PreDump, error.Step);
        Assert.Equal(1, error.Iteration);
        Assert.IsType<CriuException>(error.InnerException);
        Assert.Contains("PreDump (iteration 1)", error.Message);
        Assert.Equal(["feature-check", "start", "pre-dump 0", "stop", "start", "pre-dump 1", "failed", "end-stream 9", "stop"], harness.Calls);
        Assert.False(harness.PageServerRunning);
        Assert.Null(error.CleanupFailure);
    }

    [Fact]
    public async Task FailingPreDump_WhoseMemoryStreamCannotBeEnded_StillStopsItsIteration_AndThrowsThePreDumpsError()
    {
        // Handles: the pre-dump fails and shutting down the memory socket fails too (e.g. Memfd is no socket).
        using var harness = WithPreDumps(1);
        harness.FailPreDumpAt = 0;
        harness.MemorySocket.Fail = true;

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.PreDump, error.Step);
        Assert.IsType<CriuException>(error.InnerException);
        Assert.Equal(["feature-check", "start", "pre-dump 0", "failed", "end-stream 9", "stop"], harness.Calls);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task FailingStopIter_IsNotRetried_AndIsNamed()
    {
        // Handles: the destination's page server of iteration 0 failed.
        using var harness = WithPreDumps(2);
        harness.FailStopAt = 0;

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.StopIteration, error.Step);
        Assert.Equal(0, error.Iteration);
        Assert.Equal(["feature-check", "start", "pre-dump 0", "stop"], harness.Calls);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task FailingFinalStage_StopsTheFinalIteration_AndSaysTheTreeStayedOnTheSource()
    {
        // Handles: the final dump/copy/restore fails; CRIU resumes the tree on the source.
        using var harness = WithPreDumps(1);
        harness.FailFinal = true;

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.DumpCopyRestore, error.Step);
        Assert.Equal(1, error.Iteration);
        Assert.False(error.FinalStageCompleted);
        Assert.Contains("left running on the source", error.Message);
        Assert.Equal(["feature-check", "start", "pre-dump 0", "stop", "start", "final 0", "failed", "end-stream 9", "stop"], harness.Calls);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task FailingFinalStage_KeepsAFailingCleanupStopIter_InsteadOfDroppingIt()
    {
        // Handles: the final stage fails and then the destination's page server fails too (go-criu drops this one).
        using var harness = new LoopHarness { MemTrack = false, FailFinal = true, FailStopAfterFailure = true };

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.DumpCopyRestore, error.Step);
        Assert.IsType<CriuException>(error.InnerException);
        Assert.IsType<IOException>(error.CleanupFailure);
        Assert.Contains("stop failed", error.Message);
    }

    [Fact]
    public async Task FailingFinalStopIter_AfterTheFinalStageReturned_SaysTheTreeLeftTheSource()
    {
        // Handles: the tree was restored, but the destination then reports its last page server failed.
        using var harness = new LoopHarness { MemTrack = false, FailStopAt = 0 };

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.StopIteration, error.Step);
        Assert.True(error.FinalStageCompleted);
        Assert.Contains("no longer on the source", error.Message);
    }

    [Fact]
    public async Task CancellingAfterTheFinalStageReturned_StillEndsTheIteration_AndReportsTheMigration()
    {
        // Handles: Ctrl-C arrives once the destination restored the tree; throwing OperationCanceledException
        // then would claim the tree runs on the source when it has moved.
        using var cancellation = new CancellationTokenSource();
        using var harness = new LoopHarness { MemTrack = false };
        harness.DuringFinal = _ => cancellation.CancelAsync();

        var report = await harness.Client().MigrateAsync(cancellation.Token);

        Assert.True(cancellation.IsCancellationRequested);
        Assert.Equal(MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal(["feature-check", "start", "final -", "stop"], harness.Calls);
        Assert.False(harness.StopTokens.Single().CanBeCanceled);
    }

    [Fact]
    public async Task FailingFeatureCheck_IsNamed_AndStartsNoIteration()
    {
        // Handles: CRIU cannot answer FEATURE_CHECK.
        using var harness = new LoopHarness();
        harness.Criu.Setup(c => c.FeatureCheckAsync(It.IsAny<CriuFeatures>(), It.IsAny<CancellationToken>()))
               .ThrowsAsync(new CriuException(CriuReqType.FeatureCheck, "no"));

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.CheckFeatures, error.Step);
        Assert.Null(error.Iteration);
        Assert.Empty(harness.Calls);
    }

    [Fact]
    public async Task AUsedWorkingDirectory_FailsThePreDump_InsteadOfMixingOldImages()
    {
        // Handles: Wdir/0 exists from an earlier migration.
        using var harness = WithPreDumps(1);
        Directory.CreateDirectory(Path.Combine(harness.Wdir, "0"));

        var error = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(MigrationStep.PreDump, error.Step);
        Assert.Contains("already exists", error.InnerException!.Message);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task CancellingDuringAPreDump_ThrowsOperationCanceled_AndStillStopsTheIterationUncancellably()
    {
        // Handles: the caller cancels while a pre-dump runs.
        using var harness = WithPreDumps(3);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        harness.DuringPreDump = token =>
        {
            cancellation.Cancel();
            token.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client().MigrateAsync(cancellation.Token));

        Assert.Equal(["feature-check", "start", "pre-dump 0", "end-stream 9", "stop"], harness.Calls);
        Assert.False(harness.StopTokens.Single().CanBeCanceled);
        Assert.False(harness.PageServerRunning);
    }

    [Fact]
    public async Task CancellingDuringTheFinalStage_ReachesTheLocal_AndStopsTheIteration()
    {
        // Handles: the caller cancels while the tree is frozen in the final dump; the local's dump fails.
        using var harness = new LoopHarness { MemTrack = false };
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Token);
        harness.DuringFinal = token =>
        {
            cancellation.Cancel();
            Assert.True(token.IsCancellationRequested);
            throw new OperationCanceledException(token);
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client().MigrateAsync(cancellation.Token));

        Assert.Equal(["feature-check", "start", "final -", "end-stream 9", "stop"], harness.Calls);
        Assert.False(harness.PageServerRunning);
    }
}
