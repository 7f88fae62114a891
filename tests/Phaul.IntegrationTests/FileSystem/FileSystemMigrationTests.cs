using Phaul.IntegrationTests.Migration;

namespace Phaul.IntegrationTests.FileSystem;

/// <summary>
/// A real workload that keeps a file open for appending migrates in one process with real CRIU and
/// real rsync; its subtree is copied to another directory of this machine (the two-host CLI test copies
/// it to the same path in another mount namespace). The freeze copy runs in the final dump's post-dump
/// notification, with the tree frozen: the copy then equals the source exactly as the freeze left it.
/// </summary>
public sealed class FileSystemMigrationTests : IDisposable
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("phaul-fs-it-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Tree => Path.Combine(_scratch.FullName, "tree");

    private string Copy => Path.Combine(_scratch.FullName, "copy");

    /// <summary>The subtree, with a file the test changes and one it deletes while the workload runs.</summary>
    private void CreateTreeToChange()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        File.WriteAllText(Path.Combine(Tree, "changed"), "old");
        File.WriteAllText(Path.Combine(Tree, "deleted"), "old");
    }

    [Fact(Timeout = 120_000)]
    public async Task TheFreezeCopy_HoldsEveryLineWrittenBeforeTheFreeze_AndEveryChangeMadeBeforeIt()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        CreateTreeToChange();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);
        var before = await workload.WaitForProgressAsync(30, Progress, Ct);
        var fileSystem = new FreezeWatcher(SubtreeFileSystem.OnThisMachine(Options()), Tree, Copy);

        var report = await pair.Client(workload.Pid, fileSystem: fileSystem).MigrateAsync(Ct);
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(30, Progress, Ct);

        // Taken inside the freeze, after the copy: the source tree as the frozen workload left it.
        Assert.Equal(fileSystem.FrozenSourceLog, fileSystem.FrozenCopyLog);
        var frozenLines = NumberedLog.AssertNumbered(fileSystem.FrozenSourceLog!);
        Assert.True(frozenLines >= before.AppendedLines, $"{frozenLines} lines at the freeze, {before.AppendedLines} reported before");
        // The restored workload goes on with the next number: the freeze copy missed nothing it had written.
        var continued = File.ReadAllText(Path.Combine(Tree, "log"));
        Assert.StartsWith(fileSystem.FrozenSourceLog!, continued, StringComparison.Ordinal);
        Assert.True(NumberedLog.AssertNumbered(continued) > frozenLines);
        Assert.True(after.AppendedLines > frozenLines);
        Assert.Equal("new", File.ReadAllText(Path.Combine(Copy, "changed")));
        Assert.Equal("created before the freeze", File.ReadAllText(Path.Combine(Copy, "created")));
        Assert.False(File.Exists(Path.Combine(Copy, "deleted")));

        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.WhileFrozen], report.Hooks.Select(phase => phase.Phase));
        Assert.True(report.Hooks[0].Figures["filesTransferred"] >= 3);
        Assert.True(report.Hooks[1].Figures["filesTransferred"] >= 2); // the log and the new file at least
        Assert.Equal(1, report.Hooks[1].Figures["filesDeleted"]);
        Assert.All(report.Hooks, phase => Assert.True(phase.Duration > TimeSpan.Zero));
        Assert.Equal(report.Hooks, MigrationReport.FromJson(report.ToJson()).Hooks);
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToJson());
    }

    [Fact(Timeout = 120_000)]
    public async Task With_post_copy_the_freeze_copy_runs_before_the_lazy_restore_and_holds_every_line()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        CreateTreeToChange();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);
        await workload.WaitForProgressAsync(30, Progress, Ct);
        var fileSystem = new FreezeWatcher(SubtreeFileSystem.OnThisMachine(Options()), Tree, Copy);

        var report = await pair.Client(workload.Pid, MigrationStrategy.PostCopy, allowFallback: false, fileSystem: fileSystem).MigrateAsync(Ct);
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(30, Progress, Ct);

        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        Assert.Equal(fileSystem.FrozenSourceLog, fileSystem.FrozenCopyLog);
        Assert.True(after.AppendedLines > NumberedLog.AssertNumbered(fileSystem.FrozenSourceLog!));
        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.WhileFrozen], report.Hooks.Select(phase => phase.Phase));
    }

    // Handles: the destination's rsync is killed during the freeze copy. The dump fails, CRIU resumes the
    // tree on the source, the migration names the file-system copy, and the partial copy is removed.
    [Fact(Timeout = 120_000)]
    public async Task AFreezeCopyThatFails_FailsTheDump_TheWorkloadGoesOnAtTheSource_AndTheCopyIsRemoved()
    {
        var criuPath = CriuTestEnvironment.RequireCriu();
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);
        var sourcePid = workload.Pid;
        // The first run (the bulk copy) is real rsync; the second (the freeze copy) is killed at once.
        var secondRun = Path.Combine(_scratch.FullName, "ran-once");
        var rsync = Path.Combine(_scratch.FullName, "rsync-dies-second");
        File.WriteAllText(rsync, $"#!/bin/sh\n[ -e '{secondRun}' ] && kill -9 $$\ntouch '{secondRun}'\nexec {RsyncProgram.Find()} \"$@\"\n");
        FileTree.Chmod(rsync, "700");
        var destination = new FileSystemDestination(new FileSystemDestinationOptions { AllowedRoots = [Copy], RsyncPath = rsync });

        var failure = await Assert.ThrowsAsync<MigrationException>(
            () => pair.Client(sourcePid, fileSystem: new SubtreeFileSystem(destination, Options())).MigrateAsync(Ct));

        Assert.False(failure.FinalStageCompleted);
        Assert.Equal(MigrationStep.DumpCopyRestore, failure.Step);
        var cause = Assert.IsType<MigrationHookException>(failure.InnerException);
        Assert.Contains("'files' failed during the freeze", cause.Message);
        Assert.Contains("killed by signal 9", cause.Message);
        Assert.IsType<FileSystemMigrationException>(cause.InnerException);
        Assert.Equal(sourcePid, workload.Pid);
        var after = await workload.WaitForProgressAsync(30, Progress, Ct);
        Assert.True(workload.IsRunning);
        Assert.True(NumberedLog.AssertNumbered(File.ReadAllText(Path.Combine(Tree, "log"))) >= after.AppendedLines);
        Assert.False(Directory.Exists(Copy));
    }

    private SubtreeFileSystemOptions Options() => new() { Subtrees = [new FileSystemSubtree(Tree) { DestinationPath = Copy }] };

    public void Dispose() => _scratch.Delete(recursive: true);
}
