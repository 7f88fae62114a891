using System.Diagnostics;
using Phaul.Cli.Tests.Support;
using Phaul.Transport;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// Post-copy between two "hosts" (network namespaces joined by a veth pair) with the built CLI:
/// <c>phaul serve</c> on one, <c>phaul migrate --strategy postcopy</c> on the other.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostPostCopyTests
{
    private const int Port = 7480;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // The longest either end may take to notice a cut link: TCP's user timeout (30 s) and keepalive (25 s), one after the other on the destination.
    private static readonly TimeSpan CutLinkDeadline = TimeSpan.FromSeconds(90);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_256_MiB_workload_moves_by_post_copy_to_the_other_host_and_verifies_every_page_there()
    {
        CriuTestEnvironment.RequireCriu();
        TwoHosts.Require();
        using var hosts = await TwoHosts.CreateAsync();
        using var dir = new TempDirectory();
        var key = NewKey(dir);
        await using var serve = await StartServeAsync(hosts, dir.File("sessions"), key);
        using var workload = await Workload.StartInNetworkNamespaceAsync(hosts.Source, memoryMiB: 256, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Patience, Ct);

        await using var migrate = StartMigrate(hosts, sourcePid, key, "--json", dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var report = MigrationReport.FromJson(await File.ReadAllTextAsync(dir.File("report.json"), Ct));
        var restoredPid = Assert.NotNull(report.RestoredPid);
        Assert.Equal(hosts.Destination, await TwoHosts.NetworkNamespaceOfAsync(restoredPid));
        await serve.WaitForStdoutAsync(line => line.Contains($": restored, root pid {restoredPid};", StringComparison.Ordinal), Patience, "serve to log the restore");
        await workload.WaitForExitAsync(Patience, Ct); // the source's copy goes once every page was served
        workload.AdoptRestored(restoredPid);
        var atRestore = await workload.WaitForProgressAsync(1, Patience, Ct);
        // It verifies its memory in order, a slice a turn: once it verified as many words as it holds, every page was checked.
        var after = await Poll.UntilAsync(() => workload.ReadStatus() is var s && s.VerifiedWords >= atRestore.VerifiedWords + s.MemoryWords ? s : null,
                                          Patience, "the restored workload to verify all of its memory", Ct);
        Assert.Equal(0, after.BadWords);
        Assert.True(after.Counter > before.Counter);

        Assert.Equal((StrategyChoice.PostCopy, MigrationStrategy.PostCopy), (report.RequestedStrategy, report.Strategy));
        var postCopy = Assert.IsType<PostCopyReport>(report.PostCopy);
        var pages = Assert.IsType<LazyPagesStatistics>(postCopy.Pages);
        Assert.True(pages.PagesTransferred >= 65536, $"{pages.PagesTransferred} pages transferred for 256 MiB");
        Assert.Equal(pages.PagesToFetch, pages.PagesTransferred);
        Assert.True(pages.PagesOnDemand >= 1, "the restored tree touched no page before it arrived");
        Assert.True(pages.PagesInBackground > pages.PagesOnDemand);
        Assert.True(pages.LastPageAfterResume > TimeSpan.Zero);
        Assert.True(postCopy.FreezeToResume > postCopy.Restore);
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
        CriuTestEnvironment.RequireCriu();
        TwoHosts.Require();
        using var hosts = await TwoHosts.CreateAsync();
        using var dir = new TempDirectory();
        var key = NewKey(dir);
        await using var serve = await StartServeAsync(hosts, dir.File("sessions"), key);
        using var workload = await Workload.StartInNetworkNamespaceAsync(hosts.Source, memoryMiB: 256, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var (sourceNet, destinationNet) = (NetworkNamespaceOf(sourcePid), NetworkNamespaceOf(serve.Id));
        await workload.WaitForProgressAsync(20, Patience, Ct);

        await using var migrate = StartMigrate(hosts, sourcePid, key);
        var restoredPid = await WaitForResumeAsync(destinationNet, serve, workload);
        await hosts.CutLinkAsync();
        var clock = Stopwatch.StartNew();
        var exitCode = await migrate.WaitForExitAsync(CutLinkDeadline);
        var ended = await serve.WaitForStdoutAsync(line => line.Contains(": failed:", StringComparison.Ordinal), CutLinkDeadline, "serve to log the loss");

        TestContext.Current.TestOutputHelper?.WriteLine($"after the cut: migrate ended in {clock.Elapsed.TotalSeconds:F1} s{Environment.NewLine}{migrate.Transcript}{Environment.NewLine}serve: {ended}");
        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
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

    /// <summary>
    /// Waits until the destination runs the restored tree: the root of a new PID namespace appears in the destination's
    /// network namespace, then the workload's turn counter moves again (the source's copy stays frozen meanwhile).
    /// </summary>
    private static async Task<int> WaitForResumeAsync(string destinationNet, PhaulProcess serve, Workload workload)
    {
        var root = await Poll.UntilAsync(() => PidsIn(destinationNet).FirstOrDefault(pid => pid != serve.Id && IsPidNamespaceInit(pid)) is var pid and > 0 ? (int?)pid : null,
                                         Patience, "the restored tree to appear on the destination", Ct);
        workload.AdoptRestored(root); // whatever happens, disposing the workload kills the restored tree
        var counter = workload.ReadStatus().Counter;
        await Poll.UntilAsync(() => workload.ReadStatus().Counter > counter ? "" : null, Patience, "the restored tree to resume", Ct);
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

    private static string NewKey(TempDirectory dir)
    {
        KeyFile.Generate(dir.File("key"));
        return dir.File("key");
    }

    private static async Task<PhaulProcess> StartServeAsync(TwoHosts hosts, string sessions, string key)
    {
        var serve = PhaulProcess.Start(hosts.Destination, "serve", "--listen", $"{hosts.DestinationAddress}:{Port}", "--wdir", sessions, "--key-file", key);
        try
        {
            await serve.WaitForStdoutAsync(line => line.StartsWith("phaul serve: listening on", StringComparison.Ordinal), Patience, "serve to listen");
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    private static PhaulProcess StartMigrate(TwoHosts hosts, int pid, string key, params string[] more) =>
        PhaulProcess.Start(hosts.Source, ["migrate", "--pid", $"{pid}", "--to", $"{hosts.DestinationAddress}:{Port}", "--key-file", key,
                                          "--strategy", "postcopy", "--no-fallback", .. more]);
}
