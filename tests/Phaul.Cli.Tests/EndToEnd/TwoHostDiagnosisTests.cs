using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// Failures through the built CLI on two "hosts" name their real cause on both ends: a pid CRIU cannot dump is bad input
/// before anything freezes, and a restore that fails on the destination is reported as the destination's restore, with
/// CRIU's own error and its fix, by <c>phaul migrate</c> and by <c>phaul serve</c>.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostDiagnosisTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrating_a_kernel_thread_exits_2_as_bad_input_naming_the_fix_before_anything_freezes()
    {
        // Failure handled: --pid 2 reached CRIU, which failed inside the freeze ("Unable to interrupt task") under the rlimit line.
        await using var hosts = await Hosts.StartAsync();

        await using var migrate = TwoHostCli.StartMigrate(hosts.Net, 2, hosts.Key);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.BadInput, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("phaul migrate: --pid 2: pid 2 (kthreadd) is a kernel thread", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("Fix: give the pid of the user process", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("Nothing was frozen: pid 2 keeps running here.", migrate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("images and CRIU logs", migrate.Stderr, StringComparison.Ordinal); // CRIU never ran
    }

    [Fact]
    public async Task A_restore_that_fails_on_the_destination_is_named_as_the_destinations_restore_with_CRIUs_cause_on_both_ends()
    {
        // Failure handled: a tree in the hosts' shared PID namespace restores into its own pid, which its frozen source copy still
        // holds on this one machine ("Can't fork for N: File exists"). The source said only the rlimit line; serve said "the
        // source closed the connection before the tree was restored".
        await using var hosts = await Hosts.StartAsync();
        using var workload = await ShellWorkload.StartAsync("n=0; while :; do n=$((n+1)); echo $n > counter; sleep 0.01; done",
                                                            hosts.Net.Source, ownPidNamespace: false, Ct);
        await workload.WaitForCounterAsync(5, Patience, Ct);

        await using var migrate = TwoHostCli.StartMigrate(hosts.Net, workload.Root, hosts.Key, "--strategy", "stop-and-copy", "--wdir", hosts.WorkDirectory);
        var exitCode = await migrate.WaitForExitAsync(Patience);
        await workload.WaitForCounterAsync(20, Patience, Ct);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var headline = $"CRIU Restore failed: Can't fork for {workload.Root}: File exists";
        Assert.Contains("Cause: Destination Restore (iteration 0) failed", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains($"the destination's restore failed (its paths are on the destination): {headline}", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("Fix: a process on the destination already has the tree's pid", migrate.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("RLIMIT_NOFILE", migrate.Stderr, StringComparison.Ordinal);
        var served = await hosts.Serve.WaitForStdoutAsync(line => line.Contains(": failed: ", StringComparison.Ordinal), Patience, "serve to end the session");
        Assert.Contains($"failed: Destination Restore failed", served, StringComparison.Ordinal);
        Assert.Contains(headline, hosts.Serve.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("closed the connection before the tree was restored", hosts.Serve.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Two hosts, one key, and <c>phaul serve</c> on the destination.</summary>
    private sealed class Hosts : IAsyncDisposable
    {
        private readonly TempDirectory _dir;

        private Hosts(TwoHosts net, TempDirectory dir, string key, PhaulProcess serve) => (Net, _dir, Key, Serve) = (net, dir, key, serve);

        public TwoHosts Net { get; }
        public string Key { get; }

        /// <summary>Where migrate keeps a failed migration's images and logs: inside this test's directory.</summary>
        public string WorkDirectory => _dir.File("migrate-wdir");
        public PhaulProcess Serve { get; }

        public static async Task<Hosts> StartAsync()
        {
            CriuTestEnvironment.RequireCriu();
            TwoHosts.Require();
            var net = await TwoHosts.CreateAsync();
            var dir = new TempDirectory();
            try
            {
                var key = TwoHostCli.NewKey(dir);
                return new Hosts(net, dir, key, await TwoHostCli.StartServeAsync(net, dir.File("sessions"), key));
            }
            catch
            {
                dir.Dispose();
                net.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Serve.DisposeAsync();
            _dir.Dispose();
            Net.Dispose();
        }
    }
}
