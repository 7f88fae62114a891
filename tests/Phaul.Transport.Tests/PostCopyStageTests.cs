using Moq;
using Phaul.Rpc;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>
/// Post-copy over loopback: the source's lazy stage and the destination's session, with CRIU mocked on
/// both sides and the source tree's signals recorded instead of sent.
/// </summary>
public sealed partial class PostCopyStageTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int SourcePid = 77;

    private readonly FakeDestination _destination;
    private readonly System.Collections.Concurrent.ConcurrentQueue<bool> _extensionEnds = new();
    private readonly TempDirectory _source = new();
    private readonly Mock<IProcessTrees> _trees = new();
    private readonly List<string> _signals = [];
    private readonly ScriptedLazyDump _dump;
    private MigrationConnection? _connection;

    public PostCopyStageTests()
    {
        // Every session gets an extension that records how it ended; it exists once a test sends it a request.
        _destination = new(TestKeys.Shared, configure: options => options with
        {
            Extensions = new Dictionary<string, Func<IDestinationExtension>> { ["test.record"] = () => new EndRecorder(_extensionEnds) },
        });
        _trees.Setup(t => t.Kill(It.IsAny<int>())).Returns((int pid) => Signal($"kill {pid}"));
        _trees.Setup(t => t.Continue(It.IsAny<int>())).Returns((int pid) => Signal($"continue {pid}"));
        _trees.Setup(t => t.Stop(It.IsAny<int>())).Returns((int pid) => Signal($"stop {pid}"));
        _dump = new ScriptedLazyDump(_source.Path) { Files = { ["core-1.img"] = new byte[70_000], ["pstree.img"] = [1, 2, 3] } };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private MigrationConnection Connection => _connection!;

    private FakeTarget Target => _destination.Targets.Single();

    private PhaulConfig Config => new() { Pid = SourcePid, Memfd = Connection.Memfd, Wdir = _source.Path };

    [Fact]
    public async Task PhaulClient_migrates_by_post_copy_through_the_transport_and_reports_the_destinations_page_figures()
    {
        _destination.Configure = target => target.LazyRestore = _ =>
        {
            // CRIU's order: the restore runs only after the source's post-dump notification returned.
            Assert.True(_dump.NotificationReturned);
            target.Pages.SetResult(new LazyPagesStatistics
            {
                PagesToFetch = 100, PagesTransferred = 100, PagesOnDemand = 7,
                RestoreTime = TimeSpan.FromMilliseconds(30), LastPageAfterResume = TimeSpan.FromMilliseconds(250),
            });
            _dump.Served.SetResult();
            return Task.FromResult(4343);
        };
        await ConnectAsync();
        var client = PhaulClient.Create(Connection.Local, Connection.Remote, Config,
                                        new PhaulClientOptions { Strategy = MigrationStrategy.PostCopy, AllowFallback = false, CriuFactory = () => _dump.Criu.Object },
                                        loggerFactory: null, MigrationDependencies.Default with { PipeSizeCheck = () => null, TreeCheck = _ => TreeVerdict.Dumpable });

        var report = await client.MigrateAsync(Ct).WaitAsync(Patience, Ct);
        await Connection.DisposeAsync();

        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        Assert.Equal(4343, report.RestoredPid);
        var pages = report.PostCopy!;
        Assert.Equal((100UL, 7UL, 93UL), (pages.PagesTransferred, pages.PagesOnDemand, pages.PagesInBackground));
        Assert.Equal((TimeSpan.FromMilliseconds(30), TimeSpan.FromMilliseconds(250)), (pages.Restore, pages.LastPageAfterResume));
        Assert.Equal(["CheckPostCopy", "StartLazyIter", "StartLazyPages(core-1.img,pstree.img)", "RestoreLazily(restore.log)", "WaitForLazyPages", "StopIter"],
                     Target.Calls);
        var opts = _dump.Options!;
        Assert.Equal((SourcePid, Connection.Memfd, true, true, true), (opts.Pid, opts.Ps.Fd, opts.LazyPages, opts.LeaveStopped, opts.NotifyScripts));
        // Every page was served: the source's stopped copy goes, and is never continued.
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _signals); // stopped before the restored copy ran, killed after
        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal((4343, null), (ended.RestoredPid, ended.Error));
        Assert.Equal(4343, Connection.Restored!.Pid);
    }

    [Fact]
    public async Task After_pre_dumps_the_lazy_dump_tracks_memory_against_the_last_one_in_a_lazy_iteration_of_its_own()
    {
        // Hybrid: pre-copy iterations through page servers, then the lazy final iteration on top of them.
        _destination.Configure = target => target.Pages.SetResult(new LazyPagesStatistics { PagesTransferred = 3 });
        await ConnectAsync();
        await Connection.Remote.StartIterAsync(Ct);
        await Connection.Remote.StopIterAsync(Ct);
        await LazyRemote.StartLazyIterAsync(Ct);
        _dump.Served.SetResult();

        await ((IPhaulPostCopyLocal)Connection.Local).DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, _source.CreateSubdirectory("0"), Ct)
                                                      .WaitAsync(Patience, Ct);

        Assert.Equal(("../0", true, true), (_dump.Options!.ParentImg, _dump.Options.TrackMem, _dump.Options.LazyPages));
        Assert.Equal(["StartIter", "StopIter", "StartLazyIter", "StartLazyPages(core-1.img,pstree.img)", "RestoreLazily(restore.log)", "WaitForLazyPages"],
                     Target.Calls);
        Assert.Equal(3UL, ((IPhaulLocalOutcome)Connection.Local).PostCopy!.PagesTransferred);
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _signals); // stopped before the restored copy ran, killed after
    }

    [Fact]
    public async Task The_destinations_answer_to_the_post_copy_check_is_what_the_client_sees()
    {
        // Failure handled: a destination without lazy-pages support; its reason (with the fix) reaches the source.
        _destination.Configure = target => target.PostCopyObstacle = "no userfaultfd here: build the kernel with CONFIG_USERFAULTFD=y";
        await ConnectAsync();
        var remote = Assert.IsAssignableFrom<IPhaulPostCopyRemote>(Connection.Remote);
        Assert.IsAssignableFrom<IPhaulPostCopyLocal>(Connection.Local);

        var answer = await remote.WhyPostCopyUnavailableAsync(Ct);

        Assert.Equal("no userfaultfd here: build the kernel with CONFIG_USERFAULTFD=y", answer);
    }

    [Fact]
    public async Task The_destinations_memory_accounting_reaches_the_source_with_the_post_copy_check()
    {
        // Failure handled: a destination whose vm.overcommit_memory cannot map a large tree lazily; the source must learn its
        // settings before the freeze, value for value, to judge the tree against them.
        var reported = new DestinationMemory(DestinationMemory.Heuristic, 24L << 30, 12L << 30, 2L << 30);
        _destination.Configure = target => target.Memory = reported;
        await ConnectAsync();
        var report = Assert.IsAssignableFrom<IDestinationMemoryReport>(Connection.Remote);

        var memory = await report.ReadDestinationMemoryAsync(Ct);

        Assert.Equal(reported, memory);
    }

    [Fact]
    public async Task A_destination_that_cannot_read_its_memory_accounting_reports_none_and_the_rule_is_not_judged()
    {
        // Failure handled: /proc unreadable on the destination; the source gets null, not zeros that would look like limits.
        await ConnectAsync();
        var report = Assert.IsAssignableFrom<IDestinationMemoryReport>(Connection.Remote);

        Assert.Null(await report.ReadDestinationMemoryAsync(Ct));
    }

    [Fact]
    public async Task A_daemon_that_cannot_start_continues_the_tree_on_the_source_and_names_the_destination()
    {
        // Failure handled: the destination's lazy-pages daemon fails before anything was restored.
        _destination.Configure = target => target.LazyPagesFailure = new LazyPagesDaemonException("criu lazy-pages exited with status 1");
        await ConnectAsync();
        await LazyRemote.StartLazyIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal((TransportSide.Destination, TransportPhase.PostCopyPages), (error.Side, error.Phase));
        Assert.Contains("criu lazy-pages exited with status 1", error.Message);
        Assert.Equal([$"continue {SourcePid}"], _signals);
        Assert.DoesNotContain(Target.Calls, call => call.StartsWith("RestoreLazily", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_stated_CRIU_options_reach_the_lazy_dump_and_their_restore_part_the_lazy_restore()
    {
        CriuOpts? restoredWith = null;
        _destination.Configure = target => target.LazyRestore = opts =>
        {
            restoredWith = opts.Clone();
            target.Pages.SetResult(new LazyPagesStatistics());
            _dump.Served.SetResult();
            return Task.FromResult(4343);
        };
        await ConnectAsync(criuOptions: new CriuOpts { TcpEstablished = true, LinkRemap = true, External = { "veth[w0]:vtree@br0" } });
        await LazyRemote.StartLazyIterAsync(Ct);

        await RunStageAsync(Ct).WaitAsync(Patience, Ct);

        Assert.Equal((true, true, true), (_dump.Options!.TcpEstablished, _dump.Options.LinkRemap, _dump.Options.LazyPages));
        Assert.Equal(["veth[w0]:vtree@br0"], _dump.Options.External);
        Assert.NotNull(restoredWith);
        Assert.Equal((true, false, "restore.log"), (restoredWith.TcpEstablished, restoredWith.HasLinkRemap, restoredWith.LogFile));
        Assert.Equal(["veth[w0]:vtree@br0"], restoredWith.External);
    }

    [Fact]
    public async Task A_lazy_restore_asked_for_an_option_outside_the_allow_list_is_refused_and_the_tree_continues_on_the_source()
    {
        // Failure handled: a source holding the key asks the destination's CRIU to restore with an LSM profile and a
        // cgroup properties file of its choosing; nothing must be restored, and the tree must come back at the source.
        _destination.Configure = target => target.LazyRestore = _ => throw new InvalidOperationException("the restore must not run");
        await ConnectAsync(unfilteredRestoreOptions: new CriuOpts { LsmProfile = "unconfined", CgroupPropsFile = "/tmp/props" });
        await LazyRemote.StartLazyIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal((TransportSide.Destination, TransportPhase.Restore), (error.Side, error.Phase));
        Assert.Contains("the destination does not take from a source: cgroup_props_file, lsm_profile", error.Message);
        Assert.DoesNotContain(Target.Calls, call => call.StartsWith("RestoreLazily", StringComparison.Ordinal));
        Assert.True(_dump.Killed);
        Assert.Equal([$"continue {SourcePid}"], _signals);
        Assert.Null(Connection.Restored);
    }

    [Fact]
    public async Task A_failed_lazy_restore_continues_the_tree_on_the_source()
    {
        // Failure handled: CRIU cannot restore on the destination, before the tree ever ran there.
        _destination.Configure = target => target.LazyRestore = _ => throw new CriuException(CriuReqType.Restore, "restore failed: no such mount");
        await ConnectAsync();
        await LazyRemote.StartLazyIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal((TransportSide.Destination, TransportPhase.Restore), (error.Side, error.Phase));
        Assert.Contains("no such mount", error.Message);
        Assert.True(_dump.Killed);
        Assert.Equal([$"continue {SourcePid}"], _signals);
        Assert.Null(Connection.Restored);
    }

    [Fact]
    public async Task Pages_lost_on_the_destination_kill_the_source_copy_and_report_the_lost_process()
    {
        // Failure handled: after the resume, the destination's daemon fails; the destination killed its tree.
        _destination.Configure = target => target.Pages.SetException(new ProcessLostException(4343, "its lazy-pages daemon failed before every page had arrived"));
        await ConnectAsync();
        await LazyRemote.StartLazyIterAsync(Ct);

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal(4343, lost.RestoredPid);
        Assert.Contains("its lazy-pages daemon failed before every page had arrived", lost.Message);
        Assert.True(_dump.Killed);
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _signals); // stopped before the restored copy ran, killed after
        await Connection.DisposeAsync();
        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Null(ended.RestoredPid);
        Assert.Contains("the process was lost: the restored tree (pid 4343) was killed because its lazy-pages daemon failed", ended.Error!.Message);
    }

    [Fact]
    public async Task Extensions_hear_that_a_tree_lost_after_its_resume_was_not_migrated()
    {
        // Failure handled: the source goes away (its end closed, as when killed) after the lazy restore and before the
        // destination could confirm every page: the restored tree is killed, so an extension (e.g. the file-system copy)
        // must be told "not migrated" and clean up, not keep what belongs to a tree that runs nowhere.
        await ConnectAsync(afterLazyRestore: () => Connection.Sever());
        await Connection.RequestAsync("test.record", "hello"u8.ToArray(), Ct);
        await LazyRemote.StartLazyIterAsync(Ct);

        await Assert.ThrowsAsync<ProcessLostException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.IsType<ProcessLostException>(ended.Error!.InnerException);
        Assert.Equal([false], _extensionEnds);
    }

    private sealed class EndRecorder(System.Collections.Concurrent.ConcurrentQueue<bool> ends) : IDestinationExtension
    {
        public Task<byte[]> HandleRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken) => Task.FromResult(Array.Empty<byte>());

        public Task HandleStreamAsync(ReadOnlyMemory<byte> header, Stream stream, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task EndAsync(bool migrated, CancellationToken cancellationToken)
        {
            ends.Enqueue(migrated);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_connection_cut_after_the_resume_loses_the_process_on_both_sides_without_hanging()
    {
        // Failure handled: the network breaks once the tree runs on the destination, its pages still on the source.
        await ConnectAsync(afterLazyRestore: () => Connection.Sever());
        await LazyRemote.StartLazyIterAsync(Ct);

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal(4343, lost.RestoredPid);
        Assert.Contains("waiting for its pages failed", lost.Message);
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _signals); // stopped before the restored copy ran, killed after
        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Contains("the process was lost: the restored tree (pid 4343) was killed because the session ended before the source learnt that every page had arrived",
                        ended.Error!.Message);
        Assert.Equal(4343, Assert.IsType<ProcessLostException>(ended.Error.InnerException).RestoredPid);
        // Killed even if its pages arrived meanwhile: the source reported it lost and killed its copy. Disposing the target
        // then ends the lazy iteration: PhaulServer kills the daemon.
        Assert.Contains("KillRestoredTree(4343)", Target.Calls);
        Assert.True(Target.Disposed);
    }

    [Fact]
    public async Task A_connection_cut_while_the_destination_restores_continues_the_source_tree_because_the_restored_copy_cannot_run()
    {
        // Failure handled: the connection breaks during the lazy restore, before the hand-over: the destination holds
        // its restored copy until the source's commit, which never comes, so CRIU kills it; the source's tree continues.
        _destination.Configure = target => target.LazyRestore = _ =>
        {
            Connection.Sever();
            return Task.FromResult(4343);
        };
        await ConnectAsync();
        await LazyRemote.StartLazyIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Equal(TransportPhase.Restore, error.Phase);
        Assert.Equal([$"continue {SourcePid}"], _signals);
        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Null(ended.RestoredPid);
        Assert.Contains("closed the connection", ended.Error!.Message);
        Assert.True(Target.Disposed);
    }

    [Fact]
    public async Task No_answer_after_the_commit_loses_the_process_and_kills_the_source_copy_instead_of_running_it_twice()
    {
        // Failure handled: the commit left and the destination's answer never comes: the tree may run there already,
        // and from the commit on the source's copy is stale, so it is killed (the documented post-copy loss).
        var sourceGaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _destination.Configure = target => target.AfterResume = () => sourceGaveUp.Task.WaitAsync(Patience, Ct);
        await ConnectAsync(handOver: TimeSpan.FromMilliseconds(300));
        await LazyRemote.StartLazyIterAsync(Ct);

        var lost = await Assert.ThrowsAsync<ProcessLostException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);
        sourceGaveUp.SetResult();

        Assert.Null(lost.RestoredPid);
        Assert.Contains("after the commit", lost.Message);
        Assert.Equal([$"stop {SourcePid}", $"kill {SourcePid}"], _signals);
    }

    [Fact]
    public async Task A_lazy_final_stage_in_a_plain_iteration_is_refused_by_the_destination_and_the_tree_continues_on_the_source()
    {
        // Failure handled: a source out of step with the protocol (post-copy requests in a page-server iteration).
        await ConnectAsync();
        await Connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => RunStageAsync(Ct)).WaitAsync(Patience, Ct);

        Assert.Contains("while no lazy iteration is running", error.Message);
        Assert.Equal([$"continue {SourcePid}"], _signals);
        await Connection.DisposeAsync(); // the destination drains the connection after its abort until the source closes it
        var ended = await _destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Contains("LazyPages while no lazy iteration is running", ended.Error!.Message);
        Assert.DoesNotContain(Target.Calls, call => call.StartsWith("StartLazyPages", StringComparison.Ordinal));
    }

    private IPhaulPostCopyRemote LazyRemote => (IPhaulPostCopyRemote)Connection.Remote;

    private Task RunStageAsync(CancellationToken cancellationToken) =>
        ((IPhaulPostCopyLocal)Connection.Local).DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, "", cancellationToken);

    private async Task ConnectAsync(Action? afterLazyRestore = null, TimeSpan? handOver = null, CriuOpts? criuOptions = null,
                                    CriuOpts? unfilteredRestoreOptions = null)
    {
        var options = new MigrationConnectionOptions
        {
            CriuOptions = criuOptions,
            UnfilteredRestoreOptions = unfilteredRestoreOptions,
            AfterLazyRestore = afterLazyRestore,
            HandOverTimeout = handOver ?? MigrationConnectionOptions.Default.HandOverTimeout,
            Dependencies = MigrationDependencies.Default with { Trees = _trees.Object },
        };
        _connection = await _destination.ConnectAsync(TestKeys.Shared, options);
    }

    private int Signal(string what)
    {
        lock (_signals)
            _signals.Add(what);
        return 1;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        await _destination.DisposeAsync();
        _source.Dispose();
    }
}
