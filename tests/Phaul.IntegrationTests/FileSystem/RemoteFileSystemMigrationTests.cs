using System.Net;
using Phaul.Transport;

namespace Phaul.IntegrationTests.FileSystem;

/// <summary>
/// File-system migration through Phaul.Transport over loopback TCP: the source's rsync reaches the
/// destination's rsync --server only through the authenticated control connection, and the destination
/// runs it only into paths its options allow.
/// </summary>
public sealed class RemoteFileSystemMigrationTests : IDisposable
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("phaul-fs-remote-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Tree => Path.Combine(_scratch.FullName, "tree");

    private string Copy => Path.Combine(_scratch.FullName, "copy");

    private string SourceWdir => Directory.CreateDirectory(Path.Combine(_scratch.FullName, "source-wdir")).FullName;

    private string DestinationWdir => Directory.CreateDirectory(Path.Combine(_scratch.FullName, "destination-wdir")).FullName;

    [Theory(Timeout = 120_000)]
    [InlineData(MigrationStrategy.StopAndCopy)]
    [InlineData(MigrationStrategy.PostCopy)]
    public async Task A_tree_and_its_files_migrate_through_the_transport_with_every_line_written_before_the_freeze(MigrationStrategy strategy)
    {
        CriuTestEnvironment.RequireCriu();
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        File.WriteAllText(Path.Combine(Tree, "changed"), "old");
        File.WriteAllText(Path.Combine(Tree, "deleted"), "old");
        var key = PreSharedKey.Generate();
        await using var listener = StartListener(key, new FileSystemDestinationOptions { AllowedRoots = [Copy] });
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);
        await workload.WaitForProgressAsync(30, Progress, Ct);

        MigrationReport report;
        FreezeWatcher fileSystem;
        await using (var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, cancellationToken: Ct))
        {
            fileSystem = new FreezeWatcher(new SubtreeFileSystem(connection.FileSystem(), Options()), Tree, Copy);
            report = await Client(connection, workload.Pid, fileSystem, strategy).MigrateAsync(Ct);
        }
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(30, Progress, Ct);

        Assert.Equal(strategy == MigrationStrategy.PostCopy ? MigrationStrategy.PostCopy : MigrationStrategy.StopAndCopy, report.Strategy);
        Assert.Equal(fileSystem.FrozenSourceLog, fileSystem.FrozenCopyLog);
        var frozenLines = NumberedLog.AssertNumbered(fileSystem.FrozenSourceLog!);
        Assert.True(after.AppendedLines > frozenLines);
        Assert.Equal("new", File.ReadAllText(Path.Combine(Copy, "changed")));
        Assert.False(File.Exists(Path.Combine(Copy, "deleted")));
        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.WhileFrozen], report.Hooks.Select(phase => phase.Phase));
        Assert.True(report.Hooks[1].Figures["bytesSent"] > 0);
        Assert.Equal(1, report.Hooks[1].Figures["filesDeleted"]);
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToJson());
    }

    // Handles: the source asks for a destination path the destination does not allow. The migration fails
    // before the first iteration, naming the path; the tree was never touched and nothing was written there.
    [Fact(Timeout = 120_000)]
    public async Task A_target_outside_the_destinations_roots_fails_before_the_tree_is_touched()
    {
        CriuTestEnvironment.RequireCriu();
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        var key = PreSharedKey.Generate();
        await using var listener = StartListener(key, new FileSystemDestinationOptions { AllowedRoots = [Path.Combine(_scratch.FullName, "elsewhere")] });
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);
        var sourcePid = workload.Pid;

        await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, cancellationToken: Ct);
        var failure = await Assert.ThrowsAsync<MigrationException>(
            () => Client(connection, sourcePid, new SubtreeFileSystem(connection.FileSystem(), Options())).MigrateAsync(Ct));

        Assert.Equal(MigrationStep.RunHooks, failure.Step);
        Assert.Contains($"does not allow copies into '{Copy}'", failure.InnerException!.Message);
        Assert.False(Directory.Exists(Copy));
        await workload.WaitForProgressAsync(20, Progress, Ct);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(workload.IsRunning);
    }

    // Handles: the destination has no rsync. The migration fails before the first iteration, saying so.
    [Fact(Timeout = 120_000)]
    public async Task A_destination_without_rsync_fails_the_migration_before_the_tree_is_touched()
    {
        CriuTestEnvironment.RequireCriu();
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        var key = PreSharedKey.Generate();
        await using var listener = StartListener(key, new FileSystemDestinationOptions { AllowedRoots = [Copy], RsyncPath = "/nonexistent/rsync" });
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(Tree, "log"), cancellationToken: Ct);

        await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, cancellationToken: Ct);
        var failure = await Assert.ThrowsAsync<MigrationException>(
            () => Client(connection, workload.Pid, new SubtreeFileSystem(connection.FileSystem(), Options())).MigrateAsync(Ct));

        Assert.Equal(MigrationStep.RunHooks, failure.Step);
        Assert.Contains("rsync is not installed on the destination", failure.InnerException!.Message);
        Assert.True(workload.IsRunning);
        NumberedLog.AssertNumbered(File.ReadAllText(Path.Combine(Tree, "log")));
    }

    // Handles: a source (holding the key) asking the destination to run rsync as a sender, or into a path it did not
    // prepare. The destination refuses before running anything, says why, the session stays usable, and its end removes
    // the prepared target of a tree it did not restore.
    [Fact(Timeout = 60_000)]
    public async Task The_destination_refuses_a_sending_rsync_and_unprepared_paths_over_the_wire()
    {
        FileTree.RequireRsync();
        var key = PreSharedKey.Generate();
        await using var listener = StartListener(key, new FileSystemDestinationOptions { AllowedRoots = [Copy] });
        var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, cancellationToken: Ct);
        await connection.FileSystem().PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [Copy]), Ct);

        var sender = await Assert.ThrowsAsync<FileSystemMigrationException>(() => connection.FileSystem().RunRsyncServerAsync(
            ["rsync", "--server", "--sender", "-logDtpre.iLsfxCIvu", ".", Copy], Stream.Null, Ct));
        var elsewhere = await Assert.ThrowsAsync<FileSystemMigrationException>(() => connection.FileSystem().RunRsyncServerAsync(
            ["rsync", "--server", "-logDtpre.iLsfxCIvu", ".", "/etc/"], Stream.Null, Ct));
        var again = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => connection.FileSystem().PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [Copy]), Ct));
        Assert.True(Directory.Exists(Copy));
        await connection.DisposeAsync();

        Assert.Contains("--sender", sender.Message);
        Assert.Contains("'/etc/' is not one this session prepared", elsewhere.Message);
        Assert.Contains("prepared already", again.Message);
        await Poll.UntilAsync(() => Directory.Exists(Copy) ? null : "removed", Progress, "the session's end to remove the prepared target", Ct);
    }

    // Handles: the source's rsync is killed in the middle of a copy. The copy fails saying so, the destination's rsync
    // ends with it, the control connection stays in step (the next request is answered), the session's end removes the
    // copy, and the source's files are untouched.
    [Fact(Timeout = 120_000)]
    public async Task A_source_rsync_killed_mid_copy_fails_the_copy_and_leaves_the_session_usable()
    {
        FileTree.RequireRsync();
        Directory.CreateDirectory(Tree);
        using (var big = File.Create(Path.Combine(Tree, "big")))
            big.SetLength(2L << 30); // zeros: quick to make, seconds to send
        var pidFile = Path.Combine(_scratch.FullName, "rsync.pid");
        var rsync = Path.Combine(_scratch.FullName, "rsync-with-pid");
        File.WriteAllText(rsync, $"#!/bin/sh\necho $$ > '{pidFile}'\nexec {RsyncProgram.Find()} \"$@\"\n");
        FileTree.Chmod(rsync, "700");
        var key = PreSharedKey.Generate();
        await using var listener = StartListener(key, new FileSystemDestinationOptions { AllowedRoots = [Copy] });
        var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, cancellationToken: Ct);
        var fileSystem = new SubtreeFileSystem(connection.FileSystem(), new SubtreeFileSystemOptions { Subtrees = Options().Subtrees, RsyncPath = rsync });

        var copying = fileSystem.BeforeIterationsAsync(Ct);
        // The destination's rsync writes into a temporary file once data arrives.
        await Poll.UntilAsync(() => Directory.Exists(Copy) && Directory.EnumerateFiles(Copy, ".big.*").Any() ? "receiving" : null,
                              TimeSpan.FromSeconds(30), "the destination to receive data", Ct);
        FileTree.Kill(int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture));
        var failure = await Assert.ThrowsAsync<FileSystemMigrationException>(() => copying);
        var again = await Assert.ThrowsAsync<FileSystemMigrationException>(
            () => connection.FileSystem().PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [Copy]), Ct));
        await fileSystem.CompleteAsync(migrated: false, Ct);
        await connection.DisposeAsync();

        Assert.Contains("was killed by signal 9", failure.Message);
        Assert.Contains("before the destination's rsync finished", failure.Message);
        Assert.Contains("prepared already", again.Message);
        await Poll.UntilAsync(() => Directory.Exists(Copy) ? null : "removed", Progress, "the session's end to remove the copy", Ct);
        Assert.Equal(2L << 30, new FileInfo(Path.Combine(Tree, "big")).Length);
    }

    private MigrationListener StartListener(PreSharedKey key, FileSystemDestinationOptions fileSystem) =>
        MigrationListener.Start(new MigrationListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = DestinationWdir, Key = key,
        }.WithFileSystem(fileSystem));

    private PhaulClient Client(MigrationConnection connection, int pid, IMigrationHook fileSystem,
                               MigrationStrategy strategy = MigrationStrategy.StopAndCopy) =>
        PhaulClient.MakePhaulClient(connection.Local, connection.Remote, new PhaulConfig { Pid = pid, Memfd = connection.Memfd, Wdir = SourceWdir },
                                    new PhaulClientOptions { Strategy = strategy, AllowFallback = false, Hooks = [fileSystem] });

    private SubtreeFileSystemOptions Options() => new() { Subtrees = [new FileSystemSubtree(Tree) { DestinationPath = Copy }] };

    public void Dispose() => _scratch.Delete(recursive: true);
}
