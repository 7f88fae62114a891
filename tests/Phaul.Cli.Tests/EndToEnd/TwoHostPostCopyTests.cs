using System.Diagnostics;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// Post-copy between two "hosts" (network namespaces joined by a veth pair) with the built CLI:
/// <c>phaul serve</c> on one, <c>phaul migrate --strategy postcopy</c> on the other.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostPostCopyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // The longest either end may take to notice a cut link: TCP's user timeout (30 s) and keepalive (25 s), one after the other on the destination.
    private static readonly TimeSpan CutLinkDeadline = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_256_MiB_workload_moves_by_post_copy_to_the_other_host_and_verifies_every_page_there()
    {
        await using var run = await PostCopyRun.StartAsync();
        var (hosts, dir, serve, workload, sourcePid) = (run.Hosts, run.Dir, run.Serve, run.Workload, run.Workload.Pid);
        var before = await workload.WaitForProgressAsync(20, Patience, Ct);

        // --json -: stdout is the JSON report alone, for a script to parse; the text report goes to stderr.
        await using var migrate = run.Migrate("--json", "-");
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var report = MigrationReport.FromJson(migrate.Stdout);
        var restoredPid = Assert.NotNull(report.RestoredPid);
        Assert.Contains($"Migrated pid {sourcePid}", migrate.Stderr, StringComparison.Ordinal);
        Assert.Equal(hosts.Destination, await TwoHosts.NetworkNamespaceOfAsync(restoredPid));
        await serve.WaitForStdoutAsync(line => line.Contains($": restored, root pid {restoredPid};", StringComparison.Ordinal), Patience, "serve to log the restore");
        await workload.WaitForExitAsync(Patience, Ct); // the source's copy goes once every page was served
        workload.AdoptRestored(restoredPid);
        await workload.WaitForProgressAsync(1, Patience, Ct);
        var after = await workload.WaitForAllMemoryVerifiedAsync(Patience, Ct);
        Assert.Equal(0, after.BadWords);
        Assert.True(after.Counter > before.Counter);

        Assert.Equal((MigrationStrategy.PostCopy, MigrationStrategy.PostCopy), (report.RequestedStrategy, report.Strategy));
        var postCopy = Assert.IsType<PostCopyReport>(report.PostCopy);
        var pages = postCopy;
        // Every page of 256 MiB crossed the link, some on demand, most in the background, the last one after the resume.
        Assert.True(pages is { PagesTransferred: >= 65536, PagesOnDemand: >= 1 } && pages.PagesToFetch == pages.PagesTransferred
                    && pages.PagesInBackground > pages.PagesOnDemand && pages.LastPageAfterResume > TimeSpan.Zero
                    && postCopy.FreezeToResume > postCopy.Restore, $"post-copy figures: {postCopy}");
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"freeze to resume {postCopy.FreezeToResume?.TotalMilliseconds:F0} ms, last page {pages.LastPageAfterResume?.TotalMilliseconds:F0} ms after the resume, " +
            $"{pages.PagesOnDemand} pages on demand, {pages.PagesInBackground} in the background; workload's longest gap " +
            $"{after.MaxWallGapMicroseconds / 1000} ms by the wall clock, {after.MaxGapMicroseconds / 1000} ms by its own clock" +
            $"{Environment.NewLine}{migrate.Stdout}{Environment.NewLine}{migrate.Stderr}");
    }

    [Fact]
    public async Task A_link_cut_after_the_resume_loses_the_process_on_both_hosts_within_the_deadlines_leaving_nothing_behind()
    {
        // Failure handled: the network between the hosts goes away (veth down: no FIN, no RST) once the tree runs
        // on the destination with most of its memory still on the source. Both ends must notice, say the process
        // was lost, and end every process of the migration.
        await using var run = await PostCopyRun.StartAsync();
        var (hosts, serve, sourcePid) = (run.Hosts, run.Serve, run.Workload.Pid);
        var (sourceNet, destinationNet) = (NetworkNamespaceOf(sourcePid), NetworkNamespaceOf(serve.Id));
        // The source must know the tree resumed (the destination's answer arrived) before the cut: cut while that
        // answer is on its way, the source reports the loss without the pid (PostCopyStageTests cover that case).
        var (migrate, restoredPid) = await MigrateUntilResumedAsync(run, destinationNet);
        await using var _ = migrate;
        await hosts.CutLinkAsync();
        var clock = Stopwatch.StartNew();
        var exitCode = await migrate.WaitForExitAsync(CutLinkDeadline);
        var ended = await serve.WaitForStdoutAsync(line => line.Contains(": failed:", StringComparison.Ordinal), CutLinkDeadline, "serve to log the loss");

        TestContext.Current.TestOutputHelper?.WriteLine($"after the cut: migrate ended in {clock.Elapsed.TotalSeconds:F1} s{Environment.NewLine}{migrate.Transcript}{Environment.NewLine}serve: {ended}");
        Assert.True(exitCode == (int)ExitCode.ProcessLost, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("The process was lost", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"pid {restoredPid}", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"the process was lost: the restored tree (pid {restoredPid})", ended, StringComparison.Ordinal);
        Assert.True(await WaitGoneAsync(restoredPid), $"the restored pid {restoredPid} still runs");
        Assert.True(await WaitGoneAsync(sourcePid), $"the source pid {sourcePid} still runs");
        // Nothing of the migration is left: phaul serve alone runs on the destination, nothing on the source.
        await Poll.UntilAsync(() => PidsIn(destinationNet) is [var only] && only == serve.Id ? "" : null,
                              Patience, "only phaul serve to run on the destination", Ct);
        await Poll.UntilAsync(() => PidsIn(sourceNet).Count == 0 ? "" : null, Patience, "no process to run on the source", Ct);
        Assert.False(serve.HasExited);
    }

    [Fact]
    public async Task Serve_killed_after_the_resume_takes_its_restored_copy_along_so_no_copy_runs_with_missing_pages()
    {
        // Failure handled: kill -9 of phaul serve while the tree runs there with most of its memory still on the source.
        // A restored tree without its daemon would read zero-filled pages: the guard armed before its resume kills it.
        // The source hears the connection die, reports the loss and kills its stale copy: no copy runs anywhere.
        await using var run = await PostCopyRun.StartAsync();
        var (serve, workload, sourcePid) = (run.Serve, run.Workload, run.Workload.Pid);
        var destinationNet = NetworkNamespaceOf(serve.Id);
        var (migrate, restoredPid) = await MigrateUntilResumedAsync(run, destinationNet);
        await using var _ = migrate;
        serve.Kill();
        var clock = Stopwatch.StartNew();

        Assert.True(await WaitGoneAsync(restoredPid), $"the restored pid {restoredPid} runs on without its pages");
        var restoredGoneAfter = clock.Elapsed;
        var exitCode = await migrate.WaitForExitAsync(CutLinkDeadline);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"serve killed: the restored copy was gone {restoredGoneAfter.TotalMilliseconds:F0} ms later, migrate ended after {clock.Elapsed.TotalSeconds:F1} s" +
            $"{Environment.NewLine}{migrate.Transcript}");
        Assert.True(exitCode == (int)ExitCode.ProcessLost, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("The process was lost", migrate.Stderr, StringComparison.Ordinal);
        Assert.True(await WaitGoneAsync(sourcePid), $"the source pid {sourcePid} still runs");
        await Poll.UntilAsync(() => PidsIn(destinationNet).Count == 0 ? "" : null, Patience, "nothing of the migration to run on the destination", Ct);
    }

    [Fact]
    public async Task Migrate_killed_after_the_resume_leaves_no_stopped_copy_behind_on_the_source()
    {
        // Failure handled: kill -9 of phaul migrate while the tree runs on the destination and its pages still follow.
        // The source's CRIU goes on serving pages. If migrate had asked the destination to wait for them, the destination
        // gets every page and keeps its copy; if not, its source is gone before it could learn that every page arrived,
        // and it ends its copy (the documented post-copy loss). Either way the source's original, stale since the resume,
        // was left stopped (state T) holding its memory with nothing to end it: a guard armed before the commit ends it
        // once the lazy dump has let go of it. Never a second copy, never one with missing pages, none left stopped.
        await using var run = await PostCopyRun.StartAsync();
        var (serve, workload, sourcePid) = (run.Serve, run.Workload, run.Workload.Pid);
        var (migrate, restoredPid) = await MigrateUntilResumedAsync(run, NetworkNamespaceOf(serve.Id));
        await using var _ = migrate;
        migrate.Kill();
        var clock = Stopwatch.StartNew();

        var ended = await serve.WaitForStdoutAsync(line => line.Contains(": failed:", StringComparison.Ordinal) || line.Contains(": restored, root pid", StringComparison.Ordinal),
                                                   CutLinkDeadline, "serve to end the session");
        Assert.True(await WaitGoneAsync(sourcePid), $"the source's stale copy {sourcePid} is still there (state {StateOf(sourcePid)})");
        if (ended.Contains(": restored, root pid", StringComparison.Ordinal))
            Assert.Equal(0, (await workload.WaitForAllMemoryVerifiedAsync(Patience, Ct)).BadWords); // kept: complete
        else
            Assert.True(await WaitGoneAsync(restoredPid), $"the restored pid {restoredPid} still runs although its session failed: {ended}");
        TestContext.Current.TestOutputHelper?.WriteLine($"migrate killed: the source's copy was gone {clock.Elapsed.TotalSeconds:F1} s later; serve: {ended}");
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

    /// <summary>
    /// Starts a post-copy migration over a link throttled to 200 Mbit/s (the 256 MiB take ~11 s to follow) and returns once
    /// the tree runs on the destination and <c>phaul migrate</c> heard so, with most of its memory still on the source.
    /// </summary>
    private static async Task<(PhaulProcess Migrate, int RestoredPid)> MigrateUntilResumedAsync(PostCopyRun run, string destinationNet)
    {
        await run.Workload.WaitForProgressAsync(20, Patience, Ct);
        await run.Hosts.ThrottleSourceAsync(megabitsPerSecond: 200);
        var migrate = run.Migrate();
        try
        {
            var restoredPid = await WaitForRestoredRootAsync(destinationNet, run.Serve, run.Workload);
            await migrate.WaitForStderrAsync(line => line.Contains($"the tree runs on the destination as pid {restoredPid}", StringComparison.Ordinal),
                                             Patience, "phaul migrate to hear that the tree resumed");
            return (migrate, restoredPid);
        }
        catch
        {
            await migrate.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the restored tree's root (the root of a new PID namespace) appears in the destination's network namespace.</summary>
    private static async Task<int> WaitForRestoredRootAsync(string destinationNet, PhaulProcess serve, Workload workload)
    {
        var root = await Poll.UntilAsync(() => PidsIn(destinationNet).FirstOrDefault(pid => pid != serve.Id && IsPidNamespaceInit(pid)) is var pid and > 0 ? (int?)pid : null,
                                         Patience, "the restored tree to appear on the destination", Ct);
        workload.AdoptRestored(root); // whatever happens, disposing the workload kills the restored tree
        return root;
    }

    /// <summary>The network namespace of <paramref name="pid"/>, as its /proc link names it (<c>net:[INODE]</c>).</summary>
    private static string NetworkNamespaceOf(int pid) =>
        new FileInfo($"/proc/{pid}/ns/net").LinkTarget ?? throw new InvalidOperationException($"pid {pid} has no network namespace link");

    /// <summary>The live processes in a network namespace.</summary>
    private static List<int> PidsIn(string networkNamespace) =>
        [.. Directory.GetDirectories("/proc")
                     .Select(path => int.TryParse(Path.GetFileName(path), out var pid) ? pid : 0)
                     .Where(pid => pid > 0 && Workload.IsProcessRunning(pid) && SafeNetworkNamespaceOf(pid) == networkNamespace)];

    private static string? SafeNetworkNamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsPidNamespaceInit(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal)) is { } line
                   && line.Split('\t', StringSplitOptions.RemoveEmptyEntries) is { Length: > 2 } ids && ids[^1] == "1";
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<bool> WaitGoneAsync(int pid)
    {
        try
        {
            await Poll.UntilAsync(() => Workload.IsProcessRunning(pid) ? null : "", Patience, $"pid {pid} to end", Ct);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Two hosts, <c>phaul serve</c> on the destination, a 256 MiB workload on the source.</summary>
    private sealed class PostCopyRun : IAsyncDisposable
    {
        private string _key = "";

        public required TwoHosts Hosts { get; init; }

        public TempDirectory Dir { get; } = new();

        public PhaulProcess Serve { get; private set; } = null!;

        public Workload Workload { get; private set; } = null!;

        public static async Task<PostCopyRun> StartAsync()
        {
            CriuTestEnvironment.RequireCriu();
            TwoHosts.Require();
            var run = new PostCopyRun { Hosts = await TwoHosts.CreateAsync() };
            try
            {
                run._key = TwoHostCli.NewKey(run.Dir);
                run.Serve = await TwoHostCli.StartServeAsync(run.Hosts, run.Dir.File("sessions"), run._key);
                run.Workload = await Workload.StartInNetworkNamespaceAsync(run.Hosts.Source, memoryMiB: 256, cancellationToken: Ct);
                return run;
            }
            catch
            {
                await run.DisposeAsync();
                throw;
            }
        }

        /// <summary>
        /// Starts <c>phaul migrate --strategy postcopy --no-fallback</c> of the workload; its work directory, which a failed
        /// migration keeps, in the run's own.
        /// </summary>
        public PhaulProcess Migrate(params string[] more) =>
            TwoHostCli.StartMigrate(Hosts, Workload.Pid, _key, ["--strategy", "postcopy", "--no-fallback", "--wdir", Dir.File("migrate-wdir"), .. more]);

        public async ValueTask DisposeAsync()
        {
            Workload?.Dispose();
            if (Serve is not null)
                await Serve.DisposeAsync();
            Hosts.Dispose();
            Dir.Dispose();
        }
    }
}
