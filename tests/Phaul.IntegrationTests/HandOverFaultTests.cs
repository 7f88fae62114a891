using System.Diagnostics;
using System.Globalization;
using Phaul.IntegrationTests.Migration;
using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>
/// Faults injected at each step of the stop-and-copy hand-over, through Phaul.Transport on loopback with real CRIU on
/// both ends. Each test hits its step through a hook (no timers raced) and checks what a migration tool owes its user:
/// the tree runs in exactly one place, with its memory intact, its network unlocked, and nothing of ours left running;
/// or, when the source cannot know the outcome, its copy stays stopped (never a second running copy).
/// </summary>
public sealed class HandOverFaultTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Link_cut_after_the_destination_holds_its_copy_leaves_the_tree_on_the_source()
    {
        // Failure handled: the connection breaks after the destination restored the tree (held stopped) and before the
        // source's commit. The destination never resumes without the commit: CRIU kills its copy; the source's continues.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        MigrationConnection? connection = null;
        var hooks = new HandOverHooks { OnStep = step => SeverAt(step, HandOverStep.Prepared, connection!) };
        await using (connection = await ends.ConnectAsync(new MigrationConnectionOptions { HandOverHooks = hooks }))
        {
            var (error, elapsed) = await FailedMigrationAsync(ends, connection, workload);

            Assert.False(error.HandOverInDoubt);
            Assert.False(error.FinalStageCompleted);
            TestContext.Current.TestOutputHelper?.WriteLine($"cut before the commit: the tree ran again on the source {elapsed.TotalMilliseconds:0} ms after the cut; {error.Message}");
        }
        await AssertRunsOnlyAtTheSourceAsync(workload, ends);
    }

    [Fact(Timeout = 120_000)]
    public async Task Link_cut_after_the_source_stopped_its_copy_but_before_the_commit_left_continues_the_source()
    {
        // Failure handled: the source stopped its copy for the commit, and the commit cannot be sent. It never reached
        // the destination, whose copy CRIU kills; the source's copy is continued.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        await using var ends = new RemoteEnds();
        MigrationConnection? connection = null;
        var hooks = new HandOverHooks { OnStep = step => SeverAt(step, HandOverStep.SourceStopped, connection!) };
        await using (connection = await ends.ConnectAsync(new MigrationConnectionOptions { HandOverHooks = hooks }))
        {
            var (error, _) = await FailedMigrationAsync(ends, connection, workload);
            Assert.False(error.HandOverInDoubt);
        }
        await AssertRunsOnlyAtTheSourceAsync(workload, ends);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_lost_answer_to_the_commit_is_asked_for_again_and_a_destination_that_had_not_resumed_leaves_the_tree_on_the_source()
    {
        // Failure handled: the commit left and no answer came in time (the destination stalled, or the link died and came
        // back). The source asks over a new connection; the destination, still holding its copy, decides "not resumed" for
        // good (the commit arriving later is refused, and CRIU kills the held copy), and the source's copy continues.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        var sourceDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The commit is acted on only once the source, having asked, is done.
        var hooks = new HandOverHooks { OnStep = step => step == HandOverStep.CommitReceived ? sourceDone.Task.WaitAsync(Patience, Ct) : Task.CompletedTask };
        await using var ends = new RemoteEnds(hooks);
        await using (var connection = await ends.ConnectAsync(Impatient))
        {
            var (error, _) = await FailedMigrationAsync(ends, connection, workload);
            sourceDone.SetResult();
            Assert.False(error.HandOverInDoubt, error.Message);
            Assert.True(error.Message.Contains("did not resume the tree", StringComparison.Ordinal), error.ToString());
        }
        await AssertRunsOnlyAtTheSourceAsync(workload, ends);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_lost_answer_to_the_commit_is_asked_for_again_and_a_destination_that_had_resumed_completes_the_migration()
    {
        // Failure handled: the destination resumed the tree, and its answer did not come in time. Asked again, it says so:
        // the migration completes, and the source's CRIU ends the source's copy.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new HandOverHooks
        {
            OnStep = step => step switch
            {
                HandOverStep.Resumed => asked.Task.WaitAsync(Patience, Ct), // the answer is held back until the source asked
                HandOverStep.QueryReceived => Task.Run(() => asked.TrySetResult()),
                _ => Task.CompletedTask,
            },
        };
        await using var ends = new RemoteEnds(hooks);
        MigrationReport report;
        await using (var connection = await ends.ConnectAsync(Impatient))
            report = await ends.Client(connection, sourcePid, StopAndCopy).MigrateAsync(Ct);

        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Patience), $"the source's copy {sourcePid} still runs");
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
    }

    [Fact(Timeout = 120_000)]
    public async Task No_answer_to_the_commit_and_none_to_the_question_keeps_the_source_copy_stopped_while_the_destination_runs_the_tree()
    {
        // Failure handled: the commit left, no answer comes, and the destination cannot be asked either (a link still down).
        // The source cannot know whether the tree runs on the destination, so its own copy stays stopped, never running
        // beside the destination's.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();
        var sourceGaveUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hooks = new HandOverHooks
        {
            OnStep = step => step switch
            {
                HandOverStep.CommitReceived => sourceGaveUp.Task.WaitAsync(Patience, Ct),
                HandOverStep.QueryReceived => throw new IOException("the link is down"),
                _ => Task.CompletedTask,
            },
        };
        await using var ends = new RemoteEnds(hooks);
        MigrationException error;
        await using (var connection = await ends.ConnectAsync(Impatient))
        {
            error = await Assert.ThrowsAsync<MigrationException>(() => ends.Client(connection, sourcePid, StopAndCopy).MigrateAsync(Ct));
            sourceGaveUp.SetResult();
        }

        Assert.True(error.HandOverInDoubt, error.Message);
        var doubt = Assert.IsType<HandOverInDoubtException>(error.InnerException);
        Assert.Equal(sourcePid, doubt.SourcePid);
        await Poll.UntilAsync(() => StateOf(sourcePid) == 'T' ? "stopped" : null, Patience, $"the source's copy {sourcePid} to be stopped", Ct);
        var restoredPid = (await ends.SessionEnded.WaitAsync(Patience, Ct)).RestoredPid
                          ?? throw new InvalidOperationException("the destination did not resume the tree although the commit reached it");
        workload.AdoptRestored(restoredPid);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
        Assert.Equal('T', StateOf(sourcePid)); // still stopped while the destination's copy runs on
        var directory = Path.GetDirectoryName(workload.StatusFile)!;
        var running = ProcessTable.HoldersOf(directory).Where(pid => StateOf(pid) is not ('T' or 'Z' or null)).ToList();
        Assert.Equal([restoredPid], running.Where(pid => pid != ProcessTable.ParentOf(sourcePid)));
        TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
        KillTree(sourcePid);
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Patience));
    }

    [Fact(Timeout = 120_000)]
    public async Task Cancelled_while_the_destination_restores_the_tree_runs_on_at_the_source_with_its_network_unlocked()
    {
        // Failure handled: Ctrl-C after the restore was requested, with the tree frozen and its network locked by CRIU.
        // The source aborts the hand-over and fails CRIU's notification: CRIU unlocks the network and resumes the tree;
        // the destination kills its copy on the abort.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartWithOwnNetworkAsync(memoryMiB: 16, Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Patience, Ct);
        await using var ends = new RemoteEnds();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var hooks = new HandOverHooks { OnStep = step => step == HandOverStep.RestoreRequested ? cancel.CancelAsync() : Task.CompletedTask };
        await using (var connection = await ends.ConnectAsync(new MigrationConnectionOptions { HandOverHooks = hooks }))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                ends.Client(connection, sourcePid, StopAndCopy).MigrateAsync(cancel.Token));
        }

        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.Equal(0, after.BadWords);
        Assert.True(after.Counter > before.Counter);
        Assert.Empty(NetworkLockRules(sourcePid));
        await AssertNoCopyBesideAsync(workload, ends);
    }

    [Fact(Timeout = 120_000)]
    public async Task Destination_CRIU_killed_while_it_holds_the_copy_leaves_the_tree_on_the_source()
    {
        // Failure handled: kill -9 of the destination's CRIU between the restore and the resume. The commit finds no
        // CRIU to resume the copy: the destination kills what CRIU left and answers with the failure; the source continues.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        RemoteEnds? ends = null;
        var killed = new List<int>();
        var hooks = new HandOverHooks
        {
            OnStep = step =>
            {
                if (step == HandOverStep.Holding)
                    killed.AddRange(ProcessTable.Signal(ProcessTable.CriuHolding(ends!.Destination), "KILL"));
                return Task.CompletedTask;
            },
        };
        await using (ends = new RemoteEnds(hooks))
        {
            await using (var connection = await ends.ConnectAsync())
            {
                var (error, _) = await FailedMigrationAsync(ends, connection, workload);
                Assert.False(error.HandOverInDoubt);
            }
            Assert.NotEmpty(killed);
            await AssertRunsOnlyAtTheSourceAsync(workload, ends);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Source_CRIU_killed_while_the_destination_holds_the_copy_moves_the_tree_and_ends_the_source_copy()
    {
        // Failure handled: kill -9 of the source's CRIU during the hand-over. Its tree, freed, is stopped for the commit
        // anyway; the destination resumes its copy, and the source's copy, which no CRIU will kill now, is killed by Phaul.
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 16, dirtyPagesPerTick: 4, Ct);
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();
        await using var ends = new RemoteEnds();
        var killed = new List<int>();
        var hooks = new HandOverHooks
        {
            OnStep = step =>
            {
                if (step == HandOverStep.Prepared)
                    killed.AddRange(ProcessTable.Signal(ProcessTable.CriuHolding(ends.Source), "KILL"));
                return Task.CompletedTask;
            },
        };
        MigrationReport report;
        await using (var connection = await ends.ConnectAsync(new MigrationConnectionOptions { HandOverHooks = hooks }))
            report = await ends.Client(connection, sourcePid, StopAndCopy).MigrateAsync(Ct);

        Assert.NotEmpty(killed);
        Assert.True(await ProcessTable.WaitGoneAsync(sourcePid, Patience), $"the source's copy {sourcePid} still runs");
        workload.AdoptRestored(report.RestoredPid!.Value);
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(after.Counter > before.Counter);
        Assert.Equal(0, after.BadWords);
    }

    private static PhaulClientOptions StopAndCopy => new() { Strategy = MigrationStrategy.StopAndCopy };

    // Waits half a second for the answer to the commit, and as long for an answer to the question that follows.
    private static MigrationConnectionOptions Impatient => new() { HandOverTimeout = TimeSpan.FromMilliseconds(500) };

    private static async Task SeverAt(HandOverStep step, HandOverStep at, MigrationConnection connection)
    {
        if (step == at)
            connection.Sever();
        await Task.CompletedTask;
    }

    /// <summary>Runs a stop-and-copy migration that must fail; returns its error and how long after the failure the tree ran again.</summary>
    private static async Task<(MigrationException Error, TimeSpan Elapsed)> FailedMigrationAsync(RemoteEnds ends, MigrationConnection connection,
                                                                                                  Workload workload)
    {
        var client = ends.Client(connection, workload.Pid, StopAndCopy);
        var error = await Assert.ThrowsAsync<MigrationException>(() => client.MigrateAsync(Ct));
        var failedAt = Stopwatch.StartNew();
        await workload.WaitForProgressAsync(1, Patience, Ct);
        return (error, failedAt.Elapsed);
    }

    private static async Task AssertRunsOnlyAtTheSourceAsync(Workload workload, RemoteEnds ends)
    {
        var sourcePid = workload.Pid;
        var before = workload.ReadStatus();
        var after = await workload.WaitForProgressAsync(50, Patience, Ct);
        Assert.True(workload.IsRunning);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(after.VerifiedWords > before.VerifiedWords);
        Assert.Equal(0, after.BadWords);
        await AssertNoCopyBesideAsync(workload, ends);
    }

    /// <summary>No restored copy runs beside the source (it would work in the workload's directory too), and no CRIU of ours is left.</summary>
    private static async Task AssertNoCopyBesideAsync(Workload workload, RemoteEnds ends)
    {
        var directory = Path.GetDirectoryName(workload.StatusFile)!;
        var launcher = ProcessTable.ParentOf(workload.Pid);
        await Poll.UntilAsync(() => ProcessTable.HoldersOf(directory).All(pid => pid == workload.Pid || pid == launcher) ? "alone" : null,
                              Patience, "the destination's copy to be gone", Ct);
        await Poll.UntilAsync(() => ProcessTable.CriuHolding(ends.Source).Count + ProcessTable.CriuHolding(ends.Destination).Count == 0 ? "none" : null,
                              Patience, "every CRIU of the migration to end", Ct);
    }

    /// <summary>Rules of CRIU's network lock in the network namespace of <paramref name="pid"/> (iptables or nftables).</summary>
    private static List<string> NetworkLockRules(int pid)
    {
        var rules = new List<string>();
        foreach (var command in new[] { "iptables-save", "nft list ruleset" })
        {
            var output = Run($"nsenter --net=/proc/{pid}/ns/net {command}");
            rules.AddRange(output.Split('\n').Where(line => line.Contains("CRIU", StringComparison.Ordinal)));
        }
        return rules;
    }

    private static string Run(string command)
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command + " 2>/dev/null"]) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    private static char? StateOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void KillTree(int pid) => Run($"kill -KILL {pid.ToString(CultureInfo.InvariantCulture)}");
}
