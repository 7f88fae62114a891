using Phaul.Core.Tests.Migration;

namespace Phaul.Core.Tests.FileSystem;

/// <summary>When PhaulClient calls the file-system hooks, against a mocked CRIU, remote and local.</summary>
public class FileSystemHookTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_bulk_copy_precedes_the_first_iteration_each_pre_dump_is_followed_by_a_copy_and_the_freeze_copy_runs_after_the_dump_before_the_locals_post_dump()
    {
        using var harness = new LoopHarness();
        var fileSystem = new RecordingFileSystem(harness.Calls);
        harness.FileSystem = fileSystem;
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(40, 4960)); // at the 64-page floor: stop

        var report = await harness.Client(StrategyChoice.PreCopy).MigrateAsync(Token);

        Assert.Equal(
            ["feature-check", "fs bulk",
             "start", "pre-dump 0", "stop", "fs iteration 0",
             "start", "pre-dump 1", "stop", "fs iteration 1",
             "start", "final 1", "dump", "fs freeze", "local post-dump", "stop",
             "fs complete migrated"],
            harness.Calls);
        Assert.Equal([FileSystemPhase.Bulk, FileSystemPhase.Iteration, FileSystemPhase.Iteration, FileSystemPhase.Freeze],
                     report.FileSystem.Select(phase => phase.Phase));
        Assert.Equal([null, 0, 1, null], report.FileSystem.Select(phase => phase.Iteration));
        Assert.Equal([1L, 2L, 3L, 4L], report.FileSystem.Select(phase => phase.Transfer.FilesTransferred));
    }

    // Handles: the freeze copy fails. The notification throws, so CRIU fails the dump and resumes the tree;
    // the migration names the copy as the cause, and the destination's copy is cleaned up.
    [Fact]
    public async Task A_failing_freeze_copy_fails_the_dump_so_the_tree_resumes_and_the_copy_is_cleaned_up()
    {
        using var harness = new LoopHarness { MemTrack = false };
        harness.FileSystem = new RecordingFileSystem(harness.Calls) { FailFreeze = true };

        var failure = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(["fs bulk", "start", "final -", "dump", "fs freeze", "dump failed, tree resumed", "end-stream 9", "stop", "fs complete failed"],
                     harness.Calls.Where(call => call != "feature-check"));
        Assert.False(failure.FinalStageCompleted);
        Assert.Equal(MigrationStep.DumpCopyRestore, failure.Step);
        var cause = Assert.IsType<FileSystemMigrationException>(failure.InnerException);
        Assert.Contains("during the freeze", cause.Message);
        Assert.Contains("rsync died", cause.Message);
        Assert.Contains("The tree was left running on the source.", failure.Message);
    }

    // Handles: the bulk copy fails. Nothing of the tree was touched: no iteration started.
    [Fact]
    public async Task A_failing_bulk_copy_fails_before_any_iteration_and_cleans_up()
    {
        using var harness = new LoopHarness();
        harness.FileSystem = new RecordingFileSystem(harness.Calls) { FailBulk = true };

        var failure = await Assert.ThrowsAsync<MigrationException>(() => harness.Client().MigrateAsync(Token));

        Assert.Equal(["fs bulk", "fs complete failed"], harness.Calls.Where(call => call != "feature-check"));
        Assert.Equal(MigrationStep.CopyFileSystem, failure.Step);
        Assert.IsType<FileSystemMigrationException>(failure.InnerException);
    }

    // Handles: the migration is cancelled during a pre-dump; the copy is cleaned up as after a failure.
    [Fact]
    public async Task A_cancelled_migration_cleans_up_the_copy()
    {
        using var harness = new LoopHarness();
        harness.FileSystem = new RecordingFileSystem(harness.Calls);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Token);
        harness.DuringPreDump = async token =>
        {
            await cancel.CancelAsync();
            token.ThrowIfCancellationRequested();
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => harness.Client(StrategyChoice.PreCopy).MigrateAsync(cancel.Token));

        Assert.Equal("fs complete failed", harness.Calls[^1]);
    }

    // Handles: the clean-up itself fails after a success; the tree runs on the destination, so the migration succeeds.
    [Fact]
    public async Task A_failing_completion_after_a_success_does_not_fail_the_migration()
    {
        using var harness = new LoopHarness { MemTrack = false };
        harness.FileSystem = new RecordingFileSystem(harness.Calls) { FailComplete = true };

        var report = await harness.Client().MigrateAsync(Token);

        Assert.Equal("fs complete migrated", harness.Calls[^1]);
        Assert.Equal([FileSystemPhase.Bulk, FileSystemPhase.Freeze], report.FileSystem.Select(phase => phase.Phase));
    }

    private sealed class RecordingFileSystem(List<string> calls) : IFileSystemMigration
    {
        private int _copies;

        public bool FailBulk { get; init; }

        public bool FailFreeze { get; init; }

        public bool FailComplete { get; init; }

        public Task<FileSystemTransfer> CopyBeforeIterationsAsync(CancellationToken cancellationToken) => Copy("fs bulk", FailBulk);

        public Task<FileSystemTransfer> CopyAfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
            Copy($"fs iteration {iteration}", fail: false);

        public Task<FileSystemTransfer> CopyFrozenAsync(CancellationToken cancellationToken) => Copy("fs freeze", FailFreeze);

        public Task CompleteAsync(bool migrated, CancellationToken cancellationToken)
        {
            calls.Add(migrated ? "fs complete migrated" : "fs complete failed");
            return FailComplete ? throw new IOException("clean-up failed") : Task.CompletedTask;
        }

        private Task<FileSystemTransfer> Copy(string call, bool fail)
        {
            calls.Add(call);
            if (fail)
                throw new FileSystemMigrationException("rsync died");
            return Task.FromResult(new FileSystemTransfer { FilesTransferred = ++_copies, BytesSent = 100 * _copies });
        }
    }
}
