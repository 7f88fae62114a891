using System.Diagnostics;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// <c>phaul migrate --tcp-established --external veth[...]</c> between two hosts (network namespaces sharing a LAN):
/// a TCP client outside the tree keeps its established connection through the migration and sees the server's
/// state continue. The tree has its own network namespace, which CRIU dumps and restores with it; the destination's
/// side of its link is plugged in by CRIU itself (<c>--external veth[w0]:vtree@br0</c>: a new veth on the destination's
/// bridge), so the tree keeps its address. On one machine this also keeps the frozen original (whose namespace lives
/// on until CRIU ends it after the hand-over) and the restored copy apart: each has its own namespace, each its own
/// outer veth on its own host's bridge. CRIU's network lock (iptables, inside the tree's namespace) drops the
/// client's packets during the freeze; TCP retransmits them to the restored copy.
/// </summary>
[Collection(typeof(EndToEnd))]
public class EstablishedTcpTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("stop-and-copy")]
    [InlineData("postcopy")]
    public async Task A_client_outside_the_tree_keeps_its_connection_through_the_migration_and_the_server_keeps_counting(string strategy)
    {
        // Failure handled: without the connection's state in the images (CRIU's "Connected TCP socket, consider using
        // --tcp-established option") or without the tree's address on the destination, the client's connection would break.
        CriuTestEnvironment.RequireCriu();
        TwoHosts.Require();
        RequireIptables();
        using var hosts = await TwoHosts.CreateAsync();
        using var dir = new TempDirectory();
        var key = TwoHostCli.NewKey(dir);
        await using var serve = await TwoHostCli.StartServeAsync(hosts, dir.File("sessions"), key);
        using var tree = await TcpCounterTree.StartAsync(hosts, dir.Path, Ct);
        var sourcePid = tree.Pid;
        var (client, first) = await ConnectAsync(hosts);
        using var _ = client;
        var answers = new List<long> { first, await client.AskAsync(Patience, Ct) };

        using var talking = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var conversation = TalkAsync(client, answers, talking.Token);
        await using var migrate = TwoHostCli.StartMigrate(hosts, sourcePid, key, "--strategy", strategy, "--no-fallback", "--tcp-established",
                                                          "--external", TcpCounterTree.External, "--json", dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);
        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var report = MigrationReport.FromJson(await File.ReadAllTextAsync(dir.File("report.json"), Ct));
        tree.AdoptRestored(Assert.NotNull(report.RestoredPid));
        var countAtExit = Count(answers);
        await Poll.UntilAsync(() => Count(answers) >= countAtExit + 20 || conversation.IsCompleted ? true : (bool?)null, Patience,
                              "the client to be answered 20 more times after the migration", Ct);
        await talking.CancelAsync();
        var longestWait = await conversation;

        long[] heard;
        lock (answers)
            heard = [.. answers];
        // One connection throughout (a new one would have failed the client), and the same counter: no number lost or repeated.
        Assert.Equal(Enumerable.Range((int)heard[0], heard.Length).Select(n => (long)n), heard);
        Assert.True(heard.Length >= countAtExit + 20, $"the client was answered {heard.Length} times, {countAtExit} before phaul migrate exited");
        Assert.Contains($"{TcpCounterTree.TreeAddress}/24", await tree.AddressesAsync(), StringComparison.Ordinal);
        Assert.True(await TcpCounterTree.IsPluggedInAsync(hosts.Destination), "the restored tree's veth is not on the destination's bridge");
        Assert.False(await TcpCounterTree.IsPluggedInAsync(hosts.Source), "the source's copy of the tree still has its veth"); // it was ended
        Assert.False(Workload.IsProcessRunning(sourcePid) && sourcePid != tree.Pid);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{strategy}: {heard.Length} answers on one connection; the longest wait for an answer was {longestWait.TotalMilliseconds:F0} ms" +
            $"{Environment.NewLine}{migrate.Stdout}");
    }

    private static void RequireIptables()
    {
        // CRIU's default network lock runs iptables-restore; without it every dump of an established connection fails.
        if (File.Exists("/usr/sbin/iptables-restore") || File.Exists("/sbin/iptables-restore"))
            return;
        const string reason = "iptables-restore not found (Debian package iptables): CRIU's network lock for --tcp-established needs it";
        if (CriuTestEnvironment.Required)
            Assert.Fail(reason);
        Assert.Skip(reason);
    }

    /// <summary>
    /// The client, on the source host, connects to the tree and is answered once (the tree's network may take a moment
    /// to come up after it is plugged in); returns it with that first answer.
    /// </summary>
    private static async Task<(LineClient Client, long First)> ConnectAsync(TwoHosts hosts)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var client = LineClient.Connect(hosts.Source, TcpCounterTree.TreeAddress, TcpCounterTree.Port);
            try
            {
                return (client, await client.AskAsync(TimeSpan.FromSeconds(5), Ct));
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException && deadline.Elapsed < Patience)
            {
                client.Dispose();
                await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
            }
        }
    }

    /// <summary>Asks, about every 20 ms, until cancelled; returns the longest wait for an answer.</summary>
    private static async Task<TimeSpan> TalkAsync(LineClient client, List<long> answers, CancellationToken cancellationToken)
    {
        var longest = TimeSpan.Zero;
        while (!cancellationToken.IsCancellationRequested)
        {
            var asked = Stopwatch.GetTimestamp();
            var answer = await client.AskAsync(Patience, Ct);
            var waited = Stopwatch.GetElapsedTime(asked);
            longest = waited > longest ? waited : longest;
            lock (answers)
                answers.Add(answer);
            await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
        }
        return longest;
    }

    private static int Count(List<long> answers)
    {
        lock (answers)
            return answers.Count;
    }
}
