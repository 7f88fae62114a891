using System.Net;
using System.Text.Json.Nodes;
using Phaul.DemoWorkload;
using Phaul.Transport;

namespace Phaul.Containers.Tests;

/// <summary>
/// Whole container migrations over Phaul's authenticated transport on loopback, real runc and CRIU on both ends (two
/// runc roots, two bundle directories, two cgroup parents; the root file system shared, as storage both hosts mount).
/// Each failure leaves the container running in exactly one place.
/// </summary>
public sealed class ContainerMigrationTests : IAsyncLifetime
{
    private readonly string _id = "phaul-" + Guid.NewGuid().ToString("N")[..8];
    private readonly PreSharedKey _key = PreSharedKey.Generate();
    private RuncHost _source = null!;
    private RuncHost _destination = null!;

    // Into the control connection's bytes to the destination: past the handshake and the prepare request (a few KiB),
    // inside the checkpoint's images (more than the container's 2 MiB ballast).
    private const long ImagesUnderway = 256 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        RuncTestEnvironment.RequireContainers();
        _source = new RuncHost("source");
        _destination = new RuncHost("destination");
    }

    public async ValueTask DisposeAsync()
    {
        if (_destination is not null)
            await _destination.DisposeAsync();
        if (_source is not null)
            await _source.DisposeAsync();
    }

    [Fact]
    public async Task A_running_container_moves_counts_on_at_the_destination_and_is_gone_here()
    {
        await StartAsync();
        await using var listener = StartListener();
        var ended = new TaskCompletionSource<MigrationSessionEndedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.SessionEnded += (_, session) => ended.TrySetResult(session);

        var report = await MigrateAsync(listener);

        Assert.Null(await _source.Runtime.GetStateAsync(_id, Ct));
        var there = await _destination.Runtime.GetStateAsync(_id, Ct);
        Assert.Equal((ContainerStatus.Running, report.DestinationPid, report.DestinationBundle), (there?.Status, there?.Pid, there?.Bundle));
        Assert.Equal(Path.Combine(_destination.BundlesDirectory, _id), report.DestinationBundle);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        Assert.True(report.ImageFiles > 5 && report.ImageBytes > 0, $"{report.ImageFiles} files, {report.ImageBytes} bytes");
        Assert.InRange(report.Frozen, report.Checkpoint + report.Transfer, report.Total);
        Assert.False(Directory.Exists(Path.Combine(report.DestinationBundle, "checkpoint")), "the images (the container's memory) were kept");
        // The destination's session counts the container's restore as its own: it reports the pid, and ends without an error.
        var session = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal((report.DestinationPid, null), (session.RestoredPid, session.Error));
        // The runtime there manages it like any other container of its own.
        await _destination.Runtime.DeleteAsync(_id, force: true, Ct);
    }

    [Fact]
    public async Task A_destination_that_has_the_id_refuses_it_before_anything_is_done_to_the_container()
    {
        await StartAsync();
        await _destination.CreateCounterBundleAsync(_id);
        await _destination.RunAsync(_id);
        await using var listener = StartListener();

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(listener));

        Assert.Contains($"container '{_id}' exists here already (running", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was done to it: it runs on here", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.HandOverInDoubt);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        Assert.False(Directory.Exists(Path.Combine(_source.CreateDirectory("work"), "images")), "the container was checkpointed");
    }

    [Fact]
    public async Task A_config_with_hooks_is_refused_since_the_destination_runs_no_commands_a_source_sends()
    {
        await CreateBundleWithConfigAsync(json => json["hooks"] = new JsonObject { ["prestart"] = new JsonArray(new JsonObject { ["path"] = "/bin/true" }) });
        await StartAsync();
        await using var listener = StartListener();

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(listener));

        Assert.Contains("has OCI hooks in its config.json", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
    }

    [Fact]
    public async Task The_destination_restores_with_its_own_CRIU_configuration_never_the_file_a_source_names()
    {
        // Failure handled: a source's org.criu.config annotation names a CRIU configuration file, and such a file can name
        // commands (action scripts) CRIU runs as root: the destination names its own file instead, which also gives CRIU
        // the container's cgroup here (runc 1.1 does not on cgroup v2).
        var configDirectory = _source.CreateDirectory("criu-config");
        var actions = Path.Combine(configDirectory, "actions");
        var script = Path.Combine(configDirectory, "record-action");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\necho \"$CRTOOLS_SCRIPT_ACTION\" >> {actions}\n", Ct);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var sourceCriuConfig = Path.Combine(configDirectory, "runc.conf");
        await File.WriteAllTextAsync(sourceCriuConfig, $"action-script {script}\n", Ct);
        await CreateBundleWithConfigAsync(json => json["annotations"] = new JsonObject { ["org.criu.config"] = sourceCriuConfig });
        await StartAsync();
        await using var listener = StartListener();

        var report = await MigrateAsync(listener);

        var ran = await File.ReadAllLinesAsync(actions, Ct);
        Assert.Contains("post-dump", ran);
        Assert.DoesNotContain("post-restore", ran);
        var restoredConfig = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(report.DestinationBundle, "config.json"), Ct))!;
        var criuConfig = (string)restoredConfig["annotations"]!["org.criu.config"]!;
        Assert.StartsWith(report.DestinationBundle + "/", criuConfig, StringComparison.Ordinal);
        Assert.Contains($"cgroup-root {_destination.CgroupParent}/{_id}", await File.ReadAllLinesAsync(criuConfig, Ct));
        var cgroups = await File.ReadAllTextAsync($"/proc/{report.DestinationPid}/cgroup", Ct);
        Assert.Contains($"{_destination.CgroupParent}/{_id}", cgroups, StringComparison.Ordinal);
        Assert.DoesNotContain(_source.CgroupParent, cgroups, StringComparison.Ordinal);
        await _destination.Runtime.DeleteAsync(_id, force: true, Ct);
    }

    [Fact]
    public async Task A_root_file_system_copy_the_destination_cannot_take_fails_before_the_container_is_paused()
    {
        // Failure handled: --copy-rootfs towards a destination without the file-system extension; nothing may be paused.
        await StartAsync();
        await using var listener = StartListener();

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(
            () => MigrateAsync(listener, options: new ContainerMigrationOptions { CopyRootFileSystem = true }));

        Assert.Contains($"copying container '{_id}''s root file system failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was done to it: it runs on here.", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        Assert.False(Directory.Exists(Path.Combine(_source.CreateDirectory("work"), "images")), "the container was checkpointed");
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
    }

    [Fact]
    public async Task A_link_broken_while_the_images_cross_resumes_the_container_here_and_the_destination_keeps_nothing()
    {
        // Failure handled: bytes changed on the path while the checkpoint's images cross (TLS's integrity check breaks the
        // connection, as a cut link would); the container is paused and checkpointed by then.
        await StartAsync(ballastMiB: 2);
        await using var listener = StartListener();
        await using var relay = TamperingRelay.Start(listener.LocalEndPoint, connection: 0, toDestination: true, offset: ImagesUnderway);

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(relay.EndPoint));

        Assert.Contains($"sending container '{_id}''s images failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("it runs on here", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.HandOverInDoubt);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
        await WaitForDestinationBundleRemovedAsync();
    }

    [Fact]
    public async Task A_source_without_the_key_reaches_nothing_and_the_container_is_untouched()
    {
        // Peer handled: someone who does not hold the key connects to the destination; the extension is behind the proof.
        await StartAsync();
        await using var listener = StartListener();

        var refused = await Assert.ThrowsAsync<TransportException>(
            () => MigrationConnection.ConnectAsync(listener.LocalEndPoint, PreSharedKey.Generate(), cancellationToken: Ct));

        Assert.Equal(TransportPhase.Authentication, refused.Phase);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        Assert.False(Directory.Exists(Path.Combine(_destination.BundlesDirectory, _id)), "a bundle was made");
    }

    [Fact]
    public async Task A_destination_whose_disk_fills_while_the_images_arrive_fails_and_the_container_resumes_here()
    {
        // Failure handled: the destination's bundles directory has no room for the images (a 512 KiB tmpfs, a 2 MiB container).
        await StartAsync(ballastMiB: 2);
        var small = _destination.CreateDirectory("small-disk");
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", small);
        try
        {
            await using (var listener = StartListener(bundlesDirectory: small))
            {
                var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(listener));

                Assert.Contains($"sending container '{_id}''s images failed", failure.Message, StringComparison.Ordinal);
                Assert.Contains("No space left on device", failure.Message, StringComparison.Ordinal);
                Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
                await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
                await Poll.UntilAsync(() => Directory.Exists(Path.Combine(small, _id)) ? null : "removed",
                                      TimeSpan.FromSeconds(30), "the destination's session end to remove the bundle", cancellationToken: Ct);
            }
        }
        finally
        {
            await RunAsync("umount", small);
        }
    }

    [Fact]
    public async Task Cancelling_while_the_container_is_checkpointed_resumes_it_here()
    {
        // Failure handled: Ctrl-C (the token) while runc's checkpoint runs, the container paused by then.
        await StartAsync();
        var slowRunc = Path.Combine(_source.CreateDirectory("bin"), "runc");
        await File.WriteAllTextAsync(slowRunc,
            $"#!/bin/sh\nfor a; do [ \"$a\" = checkpoint ] && exec sleep 600; done\nexec {RuncTestEnvironment.Runc} \"$@\"\n", Ct);
        File.SetUnixFileMode(slowRunc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runtime = new RuncRuntime(new RuncRuntimeOptions { Binary = slowRunc, Root = _source.RootPath, CriuPath = RuncTestEnvironment.Criu });
        await using var listener = StartListener();
        await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, _key, cancellationToken: Ct);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var migration = new ContainerMigration(connection, runtime, _source.CreateDirectory("work")).MigrateAsync(_id, interrupt.Token);
        await Poll.UntilAsync(() => _source.Runtime.GetStateAsync(_id, Ct).Result?.Status == ContainerStatus.Paused ? "paused" : null,
                              TimeSpan.FromSeconds(30), "the container to be paused for its checkpoint", cancellationToken: Ct);
        await interrupt.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migration);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
    }

    [Fact]
    public async Task By_post_copy_cancelling_while_runc_checkpoints_lets_CRIU_finish_then_ends_its_serving_and_resumes_the_container_whole()
    {
        // Failure handled: Ctrl-C while the lazy checkpoint runs (a runc stand-in waits a second first). CRIU works inside
        // the container's processes then and must not be killed: the migration waits until CRIU serves, ends its serving
        // (its dump fails and leaves the container as it found it) and resumes it, memory and all.
        await StartAsync(ballastMiB: 4);
        var slowRunc = Path.Combine(_source.CreateDirectory("bin"), "runc");
        await File.WriteAllTextAsync(slowRunc,
            $"#!/bin/sh\nfor a; do [ \"$a\" = checkpoint ] && sleep 1; done\nexec {RuncTestEnvironment.Runc} \"$@\"\n", Ct);
        File.SetUnixFileMode(slowRunc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runtime = new RuncRuntime(new RuncRuntimeOptions { Binary = slowRunc, Root = _source.RootPath, CriuPath = RuncTestEnvironment.Criu });
        await using var listener = StartListener();
        await using var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, _key, cancellationToken: Ct);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var options = new ContainerMigrationOptions { Strategy = MigrationStrategy.PostCopy };

        var migration = new ContainerMigration(connection, runtime, _source.CreateDirectory("work"), options: options).MigrateAsync(_id, interrupt.Token);
        await Poll.UntilAsync(() => _source.Runtime.GetStateAsync(_id, Ct).Result?.Status == ContainerStatus.Paused ? "paused" : null,
                              TimeSpan.FromSeconds(30), "the container to be paused for its checkpoint", cancellationToken: Ct);
        var before = _source.ReadCounter(_id);
        await interrupt.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => migration);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        // The shell's counter is in its memory: it goes on from where it was.
        Assert.True(await _source.WaitForCounterAboveAsync(_id, before + 2) > before);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
    }

    [Fact]
    public async Task A_restore_that_fails_at_the_destination_resumes_the_container_here_and_the_destination_removes_its_bundle()
    {
        await StartAsync();
        await using var listener = StartListener(new RuncRuntimeOptions { Root = _destination.RootPath, CriuPath = "/nonexistent/criu" });

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(listener));

        Assert.Contains($"the destination could not restore container '{_id}'", failure.Message, StringComparison.Ordinal);
        Assert.Contains("It runs on here.", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.HandOverInDoubt);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
        await WaitForDestinationBundleRemovedAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Without_the_destinations_answer_to_the_restore_the_container_stays_paused_here_and_the_error_says_how_to_finish()
    {
        await StartAsync();
        await using var listener = await StartListenerWhoseRestoreHangsAsync();

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(() => MigrateAsync(listener, TimeSpan.FromSeconds(3)));

        Assert.True(failure.HandOverInDoubt);
        Assert.Contains("It is PAUSED here, not running", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"runc --root {_source.RootPath} resume {_id}", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Paused, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
    }

    [Fact]
    public async Task By_post_copy_the_container_runs_at_the_destination_before_its_memory_crossed_and_counts_on_with_all_of_it()
    {
        await StartAsync(ballastMiB: 16);
        await using var listener = StartListener();
        var ended = new TaskCompletionSource<MigrationSessionEndedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.SessionEnded += (_, session) => ended.TrySetResult(session);
        var before = _source.ReadCounter(_id);

        var report = await MigrateAsync(listener, options: new ContainerMigrationOptions { Strategy = MigrationStrategy.PostCopy });

        Assert.Equal(MigrationStrategy.PostCopy, report.Strategy);
        // The images held everything but the memory: the shell's 16 MiB variable followed through CRIU's lazy pages.
        Assert.True(report.ImageBytes < 4 * 1024 * 1024, $"{report.ImageBytes} bytes of images");
        Assert.Null(await _source.Runtime.GetStateAsync(_id, Ct));
        var there = await _destination.Runtime.GetStateAsync(_id, Ct);
        Assert.Equal((ContainerStatus.Running, report.DestinationPid), (there?.Status, there?.Pid));
        // The shell's counter is in its memory: it goes on from where it was, not from 1.
        var after = await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        Assert.True(after > before, $"counter {after} after the move, {before} before");
        // Every byte of the 16 MiB that followed is as the shell wrote it: a page that did not arrive would read as zeros.
        Assert.Equal((16L * 1024 * 1024, true), await _source.CheckBallastAsync(_id, TimeSpan.FromSeconds(30)));
        Assert.InRange(report.Frozen, report.Checkpoint + report.Transfer, report.Total);
        Assert.True(report.MemoryFollowed > TimeSpan.Zero, $"memory followed in {report.MemoryFollowed}");
        var session = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal((report.DestinationPid, null), (session.RestoredPid, session.Error));
        Assert.False(Directory.Exists(Path.Combine(report.DestinationBundle, "checkpoint")), "the images were kept");
        await _destination.Runtime.DeleteAsync(_id, force: true, Ct);
    }

    [Fact]
    public async Task By_post_copy_a_destination_whose_lazy_pages_daemon_cannot_start_fails_and_the_container_resumes_here_whole()
    {
        // Failure handled: the destination's CRIU is missing, so its lazy-pages daemon never listens and runc never
        // restores; meanwhile the source's CRIU serves the paused container's memory, and must let it go intact.
        await StartAsync(ballastMiB: 4);
        await using var listener = StartListener(new RuncRuntimeOptions { Root = _destination.RootPath, CriuPath = "/nonexistent/criu" });

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(
            () => MigrateAsync(listener, options: new ContainerMigrationOptions { Strategy = MigrationStrategy.PostCopy }));

        Assert.Contains("lazy-pages daemon did not start", failure.Message, StringComparison.Ordinal);
        Assert.Contains("It runs on here.", failure.Message, StringComparison.Ordinal);
        Assert.False(failure.HandOverInDoubt);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        var before = _source.ReadCounter(_id);
        Assert.True(await _source.WaitForCounterAboveAsync(_id, before + 2) > before);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
    }

    [Fact]
    public async Task By_post_copy_a_memory_connection_broken_while_the_memory_follows_kills_the_incomplete_copy_there_and_the_stale_one_here()
    {
        // Failure handled: the container already runs at the destination when bytes are changed on the memory connection
        // (8 MiB in: inside its 64 MiB of memory), so its pages cannot all arrive. A copy reading zeros where pages are
        // missing must not run: the destination kills it, and says so; the paused copy here is stale (the other ran), so
        // it is deleted too: the container is lost, as post-copy warns, and runs nowhere rather than wrong or twice.
        await StartAsync(ballastMiB: 64);
        await using var listener = StartListener();
        await using var relay = TamperingRelay.Start(listener.LocalEndPoint, connection: 1, toDestination: true, offset: 8 * 1024 * 1024);

        var failure = await Assert.ThrowsAsync<ProcessLostException>(
            () => MigrateAsync(relay.EndPoint, options: new ContainerMigrationOptions { Strategy = MigrationStrategy.PostCopy }));

        Assert.Contains("could not all arrive", failure.Message, StringComparison.Ordinal);
        Assert.Contains("it was killed here", failure.Message, StringComparison.Ordinal);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
        Assert.Null(await _source.Runtime.GetStateAsync(_id, Ct));
        await WaitForDestinationBundleRemovedAsync();
    }

    [Fact]
    public async Task By_post_copy_a_control_connection_broken_before_the_restores_answer_leaves_the_container_paused_here_in_doubt()
    {
        // Failure handled: the restore's answer cannot arrive (a destination whose runc restore never ends, past the reply
        // deadline). The destination may run the container: here it stays paused, and the error says how to finish.
        await StartAsync();
        await using var listener = await StartListenerWhoseRestoreHangsAsync();

        var failure = await Assert.ThrowsAsync<ContainerMigrationException>(
            () => MigrateAsync(listener, TimeSpan.FromSeconds(3), new ContainerMigrationOptions { Strategy = MigrationStrategy.PostCopy }));

        Assert.True(failure.HandOverInDoubt, failure.Message);
        Assert.Contains("It is PAUSED here, not running", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Paused, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        // The destination gave up on its restore: the lazy-pages daemon it started for it goes too, not left waiting.
        await listener.DisposeAsync();
        var bundle = Path.Combine(_destination.BundlesDirectory, _id);
        await Poll.UntilAsync(() => ProcessesNaming(bundle).Count == 0 ? "none" : null, TimeSpan.FromSeconds(30),
                              $"no process left working on {bundle} (left: {string.Join("; ", ProcessesNaming(bundle))})", cancellationToken: Ct);
    }

    [Fact]
    public async Task Pre_copy_needs_the_kernels_dirty_memory_tracking_and_without_it_fails_before_anything_is_done_to_the_container()
    {
        // Failure handled (on a kernel without soft-dirty bits, like this machine's): runc's pre-dump refuses; the
        // container was never paused and runs on, the destination keeps nothing. With the tracking, it moves.
        await StartAsync();
        await using var listener = StartListener();
        var tracking = await DirtyMemoryTrackedAsync();

        var migration = MigrateAsync(listener, options: new ContainerMigrationOptions { Strategy = MigrationStrategy.PreCopy, PreDumps = 1 });

        if (tracking)
        {
            var report = await migration;
            Assert.Equal((MigrationStrategy.PreCopy, 1), (report.Strategy, report.PreDumps));
            Assert.Equal(ContainerStatus.Running, (await _destination.Runtime.GetStateAsync(_id, Ct))?.Status);
            return;
        }
        var failure = await Assert.ThrowsAsync<ContainerRuntimeException>(() => migration);
        Assert.Contains($"PreCopy cannot move container '{_id}': its pre-dump 1 failed", failure.Message, StringComparison.Ordinal);
        Assert.Contains("it runs on here", failure.Message, StringComparison.Ordinal);
        Assert.Equal(ContainerStatus.Running, (await _source.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        Assert.Null(await _destination.Runtime.GetStateAsync(_id, Ct));
        await WaitForDestinationBundleRemovedAsync();
    }

    [Theory]
    [InlineData(MigrationStrategy.PreCopy)]
    [InlineData(MigrationStrategy.Hybrid)]
    public async Task Pre_dumps_cross_while_the_container_runs_and_the_final_dump_names_the_last_as_its_parent(MigrationStrategy strategy)
    {
        // This kernel has no dirty-memory tracking, so a runc stand-in plays the pre-dumps (it writes 1 MiB of images and
        // the parent link CRIU would, and logs its arguments) and gives every other command to the real runc, without the
        // final dump's --parent-path (the stand-in's images are no real parent): the loop, the transfer while the container
        // runs, the destination's layout and the final dump's arguments are real.
        await StartAsync(ballastMiB: 4);
        await using var listener = StartListener();
        var log = Path.Combine(_source.CreateDirectory("runc-log"), "arguments");
        var standIn = Path.Combine(_source.CreateDirectory("bin"), "runc");
        await File.WriteAllTextAsync(standIn, $$"""
            #!/bin/sh
            echo "$*" >> {{log}}
            case " $* " in
            *" --pre-dump "*)
                images=; parent=; previous=
                for a; do
                    case $previous in --image-path) images=$a ;; --parent-path) parent=$a ;; esac
                    previous=$a
                done
                head -c 1048576 /dev/zero > "$images/pages-1.img"
                [ -n "$parent" ] && ln -s "$parent" "$images/parent"
                exit 0 ;;
            esac
            out=; skip=
            for a; do
                if [ -n "$skip" ]; then skip=; continue; fi
                [ "$a" = --parent-path ] && { skip=1; continue; }
                out="$out '$a'"
            done
            eval exec {{RuncTestEnvironment.Runc}} "$out"
            """, Ct);
        File.SetUnixFileMode(standIn, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var runtime = new RuncRuntime(new RuncRuntimeOptions { Binary = standIn, Root = _source.RootPath, CriuPath = RuncTestEnvironment.Criu });

        var report = await MigrateAsync(listener, options: new ContainerMigrationOptions { Strategy = strategy, PreDumps = 2 }, runtime: runtime);

        Assert.Equal((strategy, 2), (report.Strategy, report.PreDumps));
        Assert.Equal(2 * 1024 * 1024, report.PreDumpBytes);
        var calls = await File.ReadAllLinesAsync(log, Ct);
        var preDumps = calls.Where(call => call.Contains("--pre-dump", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, preDumps.Count);
        Assert.DoesNotContain("--parent-path", preDumps[0], StringComparison.Ordinal);
        Assert.Contains("--parent-path ../pre-1", preDumps[1], StringComparison.Ordinal);
        var final = Assert.Single(calls, call => call.Contains(" checkpoint ", StringComparison.Ordinal) && !call.Contains("--pre-dump", StringComparison.Ordinal));
        Assert.Contains("--parent-path ../pre-2", final, StringComparison.Ordinal);
        Assert.Equal(strategy == MigrationStrategy.Hybrid, final.Contains("--lazy-pages", StringComparison.Ordinal));
        Assert.Null(await _source.Runtime.GetStateAsync(_id, Ct));
        Assert.Equal(ContainerStatus.Running, (await _destination.Runtime.GetStateAsync(_id, Ct))?.Status);
        await _source.WaitForCounterAboveAsync(_id, _source.ReadCounter(_id) + 2);
        // The destination kept the pre-dumps next to the final images, linked as CRIU links them, until the restore.
        await Poll.UntilAsync(() => Directory.Exists(Path.Combine(report.DestinationBundle, "pre-1")) ? null : "removed",
                              TimeSpan.FromSeconds(30), "the destination to remove the pre-dumps", cancellationToken: Ct);
        await _destination.Runtime.DeleteAsync(_id, force: true, Ct);
    }

    private static List<string> ProcessesNaming(string text) =>
        [.. Directory.EnumerateDirectories("/proc").Where(dir => int.TryParse(Path.GetFileName(dir), out _))
                     .Select(dir => { try { return File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); } catch (IOException) { return ""; } })
                     .Where(command => command.Contains(text, StringComparison.Ordinal))];

    private static async Task<bool> DirtyMemoryTrackedAsync()
    {
        using var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(RuncTestEnvironment.Criu, ["check", "--feature", "mem_dirty_track"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        await check.WaitForExitAsync(Ct);
        return check.ExitCode == 0;
    }

    // A plain counting bundle whose config.json the test changes before the container starts.
    private async Task CreateBundleWithConfigAsync(Action<JsonNode> edit)
    {
        await _source.CreateCounterBundleAsync(_id);
        var config = Path.Combine(_source.BundlePath(_id), "config.json");
        var json = JsonNode.Parse(await File.ReadAllTextAsync(config, Ct))!;
        edit(json);
        await File.WriteAllTextAsync(config, json.ToJsonString(), Ct);
    }

    private Task<string> WaitForDestinationBundleRemovedAsync(TimeSpan? within = null) =>
        Poll.UntilAsync(() => Directory.Exists(Path.Combine(_destination.BundlesDirectory, _id)) ? null : "removed",
                        within ?? TimeSpan.FromSeconds(30), "the destination's session end to remove the bundle", cancellationToken: Ct);

    // The bundle as a test made it, or a plain counting one.
    private async Task StartAsync(int ballastMiB = 0)
    {
        if (!Directory.Exists(_source.BundlePath(_id)))
            await _source.CreateCounterBundleAsync(_id, ballastMiB: ballastMiB);
        await _source.RunAsync(_id);
        await _source.WaitForCounterAboveAsync(_id, 2);
    }

    private MigrationListener StartListener(RuncRuntimeOptions? runtime = null, string? bundlesDirectory = null) =>
        MigrationListener.Start(new MigrationListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Wdir = _destination.CreateDirectory("wdir"),
            Key = _key,
        }.WithContainers(new ContainerDestinationOptions
        {
            Runtime = runtime ?? new RuncRuntimeOptions { Root = _destination.RootPath, CriuPath = RuncTestEnvironment.Criu },
            BundlesDirectory = bundlesDirectory ?? _destination.BundlesDirectory,
            CgroupParent = _destination.CgroupParent,
        }));

    // A destination whose runc restore never ends: the source's reply deadline passes first.
    private async Task<MigrationListener> StartListenerWhoseRestoreHangsAsync()
    {
        var hangingRunc = Path.Combine(_destination.CreateDirectory("bin"), "runc");
        await File.WriteAllTextAsync(hangingRunc,
            $"#!/bin/sh\nfor a; do [ \"$a\" = restore ] && exec sleep 600; done\nexec {RuncTestEnvironment.Runc} \"$@\"\n", Ct);
        File.SetUnixFileMode(hangingRunc, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return StartListener(new RuncRuntimeOptions { Binary = hangingRunc, Root = _destination.RootPath, CriuPath = RuncTestEnvironment.Criu });
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = System.Diagnostics.Process.Start(program, arguments);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}");
    }

    private Task<ContainerMigrationReport> MigrateAsync(MigrationListener listener, TimeSpan? replyTimeout = null,
                                                        ContainerMigrationOptions? options = null, RuncRuntime? runtime = null) =>
        MigrateAsync(listener.LocalEndPoint, replyTimeout, options, runtime);

    private async Task<ContainerMigrationReport> MigrateAsync(IPEndPoint destination, TimeSpan? replyTimeout = null,
                                                              ContainerMigrationOptions? options = null, RuncRuntime? runtime = null)
    {
        var connectionOptions = replyTimeout is { } reply ? new MigrationConnectionOptions { ReplyTimeout = reply } : null;
        await using var connection = await MigrationConnection.ConnectAsync(destination, _key, connectionOptions, cancellationToken: Ct);
        return await new ContainerMigration(connection, runtime ?? _source.Runtime, _source.CreateDirectory("work"), options: options).MigrateAsync(_id, Ct);
    }
}
