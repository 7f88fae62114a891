using Moq;
using Phaul.Rpc;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The remote final stage end to end over loopback: CRIU mocked on both sides, everything else real.</summary>
public class FinalStageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Images_reach_the_destination_which_restores_before_the_post_dump_notification_returns(bool keepImages)
    {
        await using var destination = new FakeDestination(TestKeys.Shared, keepImages: keepImages);
        var restoredWith = new List<string>();
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>((opts, notify, _) =>
            {
                var target = destination.Targets.Single();
                restoredWith.AddRange(Directory.GetFiles(target.LastImagesDir).Select(Path.GetFileName)!);
                restoredWith.Add($"calls before restore: {string.Join(",", target.Calls)}; log {opts.LogFile}");
                File.WriteAllText(Path.Combine(target.LastImagesDir, opts.LogFile), "restored");
                return GatedRestore.RunAsync(notify, 4242);
            });
        using var source = new TempDirectory();
        var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = new byte[300_000], ["pstree.img"] = [1, 2, 3] } };
        var config = new PhaulConfig { Pid = 77, Memfd = connection.Memfd, Wdir = source.Path };

        await connection.Remote.StartIterAsync(Ct);
        await connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, config, "", Ct);
        await connection.Remote.StopIterAsync(Ct);
        await connection.DisposeAsync();

        Assert.True(dump.NotificationReturned);
        Assert.Equal(["core-1.img", "pstree.img", "calls before restore: StartIter,StopIter; log restore.log"], restoredWith);
        var restored = connection.Restored!;
        Assert.Equal((4242, 2, 300_003L), (restored.Pid, restored.ImageFiles, restored.ImageBytes));
        Assert.Equal(RestoreStatistics.FromCriu(destination.RestoreStats), restored.Stats);
        // What PhaulClient puts into its MigrationReport.
        var outcome = Assert.IsAssignableFrom<IPhaulLocalOutcome>(connection.Local);
        Assert.Equal((4242, restored.Stats), (outcome.RestoredPid, outcome.Restore));
        Assert.Null(outcome.FinalDump); // the scripted dump writes no stats-dump
        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal((4242, null), (ended.RestoredPid, ended.Error));
        // The tree runs at the destination: unless kept, its images are gone (a service would fill its disk); its log stays.
        var kept = Directory.GetFiles(ended.Directory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).Order();
        // "handover" records the commit and the resume, for a source that lost the answer.
        Assert.Equal(keepImages ? ["core-1.img", "handover", "pstree.img", "restore.log", "session-ended"] : ["handover", "restore.log", "session-ended"], kept);
        Assert.EndsWith("resumed", File.ReadAllText(Path.Combine(ended.Directory, "handover")).Trim(), StringComparison.Ordinal);
        // The source's StopIter after the restore was answered from the stop the restore did.
        Assert.Equal(["StartIter", "StopIter"], destination.Targets.Single().Calls);
        var opts = dump.Options!;
        Assert.Equal((77, connection.Memfd, true, "dump.log"), (opts.Pid, opts.Ps.Fd, opts.NotifyScripts, opts.LogFile));
        Assert.False(opts.HasParentImg);
        Assert.False(opts.HasTrackMem);
    }

    [Fact]
    public async Task The_outcome_accounts_for_the_downtime_phase_by_phase()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);
        var restoreTook = TimeSpan.FromMilliseconds(30);
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>(async (_, notify, cancellationToken) =>
            {
                await Task.Delay(restoreTook, cancellationToken); // CRIU restoring: a lower bound the phase must show
                return await GatedRestore.RunAsync(notify, 4242);
            });
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path)
        {
            Files = { ["core-1.img"] = [1] },
            Log = "(00.004000) Running pre-dump scripts\n(00.010000) Seized task 77, state 1\n(00.052500) Running post-dump scripts\n",
        };
        await connection.Remote.StartIterAsync(Ct);

        await connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 77, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct);

        var freeze = Assert.IsAssignableFrom<IPhaulLocalOutcome>(connection.Local).Freeze;
        Assert.NotNull(freeze);
        Assert.Equal(TimeSpan.FromMilliseconds(42.5), freeze.FreezeToImagesWritten);
        Assert.True(freeze.Restore >= restoreTook, $"restore phase {freeze.Restore}");
        Assert.True(freeze.ImageTransfer > TimeSpan.Zero && freeze.HandOver > TimeSpan.Zero, $"{freeze}");
        Assert.Equal(freeze.FreezeToImagesWritten + freeze.ImageTransfer + freeze.Restore + freeze.HandOver, freeze.FreezeToResume);
        // Every millisecond after the post-dump notification is in a phase: together they are the transfer-and-restore time.
        Assert.Equal(connection.Restored!.TransferAndRestoreTime, freeze.ImageTransfer + freeze.Restore + freeze.HandOver);
    }

    [Fact]
    public async Task After_pre_dumps_the_final_dump_tracks_memory_against_the_last_pre_dump()
    {
        // Also the failure where CRIU finishes without notifying: nothing reached the destination, so it must not pass as success.
        await using var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Notify = false };
        var config = new PhaulConfig { Pid = 77, Memfd = connection.Memfd, Wdir = source.Path };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, config, source.CreateSubdirectory("3"), Ct));

        Assert.Equal(("../3", true), (dump.Options!.ParentImg, dump.Options.TrackMem));
        Assert.Equal((TransportSide.Source, TransportPhase.FinalDump), (error.Side, error.Phase));
        Assert.Contains("without a post-dump notification", error.Message);
    }

    [Fact]
    public async Task A_failed_restore_fails_the_notification_so_CRIU_resumes_the_tree_and_names_the_destination()
    {
        // Failure handled: CRIU cannot restore on the destination; the source tree must come back.
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new CriuException(CriuReqType.Restore, "Restoring FAILED", logTail: ["Error (criu/cr-restore.c:1): Can't fork for 5: File exists"]));
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.Restore, (int?)0), (error.Side, error.Phase, error.Iteration));
        Assert.Contains("Can't fork for 5: File exists", error.Message);
        Assert.False(dump.NotificationReturned);
        Assert.Null(connection.Restored);
        await connection.Remote.StopIterAsync(Ct);
    }

    [Fact]
    public async Task A_migration_cancelled_before_the_transfer_fails_the_notification_with_the_cancellation()
    {
        // Failure handled: cancelled while CRIU was dumping; nothing may reach the destination.
        await using var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };
        await connection.Remote.StartIterAsync(Ct);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "",
                                                  new CancellationToken(canceled: true)));

        Assert.False(dump.NotificationReturned);
        destination.Criu.Verify(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Empty(Directory.GetFiles(destination.Targets.Single().LastImagesDir));
    }

    [Fact]
    public async Task A_file_the_destination_refuses_fails_the_transfer_with_the_destinations_reason()
    {
        // Failure handled: the destination aborts in the middle of the transfer (here: a size bound).
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { MaxImageFileBytes = 1000 });
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["a.img"] = new byte[10], ["b.img"] = new byte[600_000], ["c.img"] = new byte[600_000] } };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.ImageTransfer), (error.Side, error.Phase));
        Assert.Contains("image file 'b.img' has 600000 bytes, more than the limit of 1000 bytes per file", error.Message);
        Assert.False(dump.NotificationReturned);
        destination.Criu.Verify(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task The_image_files_of_all_sessions_together_are_bounded_until_a_session_ends()
    {
        // Failure handled: concurrent sessions, each within its own bound, that together would fill the destination's disk.
        await using var destination = new FakeDestination(TestKeys.Shared,
            configure: options => options with { MaxImageBytesPerSession = 1000, MaxImageBytesAllSessions = 1500 });
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>((_, notify, _) => GatedRestore.RunAsync(notify, 4242));
        var firstEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        destination.Listener.SessionEnded += (_, e) => { if (e.RestoredPid is not null) firstEnded.TrySetResult(); };
        var first = await destination.ConnectAsync(TestKeys.Shared);
        await MigrateAsync(first, 800);

        await using var second = await destination.ConnectAsync(TestKeys.Shared);
        var error = await Assert.ThrowsAsync<TransportException>(() => MigrateAsync(second, 800));

        Assert.Equal((TransportSide.Destination, TransportPhase.ImageTransfer), (error.Side, error.Phase));
        Assert.Contains("image file 'pages-1.img' (800 bytes) would bring the image files of all sessions here to 1600 bytes, " +
                        "more than the limit of 1500 bytes for all sessions together", error.Message);
        await first.DisposeAsync();
        await firstEnded.Task.WaitAsync(Patience, Ct);
        await using var third = await destination.ConnectAsync(TestKeys.Shared);
        await MigrateAsync(third, 800);
        Assert.Equal(4242, third.Restored?.Pid);
    }

    private static async Task MigrateAsync(MigrationConnection connection, int imageBytes)
    {
        using var source = new TempDirectory();
        var dump = new ScriptedDump(source.Path) { Files = { ["pages-1.img"] = new byte[imageBytes] } };
        await connection.Remote.StartIterAsync(Ct);
        await connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct);
    }

    [Fact]
    public async Task A_failed_page_server_stops_the_restore_before_it_starts()
    {
        // Failure handled: the final iteration's pages did not all arrive.
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Configure = target => target.StopFailure = new IOException("page server exited with 1");
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Contains("the page server of iteration 0 failed, so the pages are incomplete: page server exited with 1", error.Message);
        destination.Criu.Verify(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()), Times.Never);
        var stop = await Assert.ThrowsAsync<TransportException>(() => connection.Remote.StopIterAsync(Ct));
        Assert.Contains("page server exited with 1", stop.Message);
    }

    [Fact]
    public async Task A_failed_restore_ends_the_destinations_session_as_its_own_restore_failure_with_CRIUs_cause()
    {
        // Failure handled: serve reported its own failed restores as "the source closed the connection before the tree was
        // restored"; and the source's message must say it was the destination's restore, with the destination's headline.
        await using var destination = new FakeDestination(TestKeys.Shared);
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new CriuException(CriuReqType.Restore, "CRIU reported failure",
                logTail: ["(00.1) Error (criu/util.c:1534): rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted",
                          "(00.2) Error (criu/cr-restore.c:1237): Can't fork for 5: File exists"]));
        using var source = new TempDirectory();
        var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));
        await connection.DisposeAsync();

        Assert.StartsWith("Destination Restore (iteration 0) failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("the destination's restore failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("CRIU Restore failed: Can't fork for 5: File exists", error.Message, StringComparison.Ordinal);
        var ended = await destination.SessionEnded.WaitAsync(Patience, Ct);
        var failure = Assert.IsType<TransportException>(ended.Error);
        Assert.Equal((TransportSide.Destination, TransportPhase.Restore), (failure.Side, failure.Phase));
        Assert.Contains("CRIU Restore failed: Can't fork for 5: File exists", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("closed the connection before the tree was restored", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("RLIMIT_NOFILE", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_dump_is_reported_as_the_sources_final_dump()
    {
        // Failure handled: CRIU cannot dump the tree (it keeps running).
        await using var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Failure = new CriuException(CriuReqType.Dump, "Dumping FAILED") };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Equal((TransportSide.Source, TransportPhase.FinalDump), (error.Side, error.Phase));
        Assert.IsType<CriuException>(error.InnerException);
    }

    [Fact]
    public async Task A_dump_that_fails_because_the_destination_went_away_blames_the_destination()
    {
        // Failure handled: the destination service stops after the final iteration started; CRIU's page
        // transfer then breaks and the dump fails with a message that says nothing about why.
        var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path) { Failure = new CriuException(CriuReqType.Dump, "CRIU reported failure") };
        await connection.Remote.StartIterAsync(Ct);
        await destination.DisposeAsync();

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.FinalDump), (error.Side, error.Phase));
        Assert.Contains("the destination gave up: the destination service is shutting down, and CRIU's final dump failed", error.Message);
    }

    [Fact]
    public async Task A_leftover_final_dump_directory_is_refused_before_CRIU_runs()
    {
        // Failure handled: a Wdir reused from an earlier migration, whose images would be sent along.
        await using var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        File.WriteAllText(Path.Combine(source.CreateSubdirectory("final"), "core-1.img"), "old");
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var dump = new ScriptedDump(source.Path);
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() =>
            connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 5, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Contains("is not empty", error.Message);
        Assert.Null(dump.Options);
    }
}
