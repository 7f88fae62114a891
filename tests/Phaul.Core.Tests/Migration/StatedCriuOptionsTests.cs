using Moq;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

/// <summary>The CRIU options a final stage holds, stated once for the migration, reach every pre-dump.</summary>
public class StatedCriuOptionsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_final_stages_stated_options_reach_every_pre_dump_before_ConfigurePreDump()
    {
        using var harness = new LoopHarness();
        harness.DumpStats.Enqueue(Stats.Dump(5000));
        harness.DumpStats.Enqueue(Stats.Dump(10));
        var stated = new CriuOpts { ShellJob = true, External = { "mnt[/data]:data" }, LogLevel = 2 };
        harness.Local.As<ICriuOptionsSource>().Setup(local => local.CriuOptions).Returns(stated);

        await harness.Client(stopRules: new PhaulClientOptions { ConfigurePreDump = opts => opts.LogLevel = 3 }).MigrateAsync(Token);

        Assert.Equal(2, harness.PreDumpOptions.Count);
        Assert.All(harness.PreDumpOptions, opts =>
        {
            Assert.True(opts.ShellJob);
            Assert.Equal(["mnt[/data]:data"], opts.External); // once, not appended again per iteration
            Assert.Equal((4321, true, "pre-dump.log"), (opts.Pid, opts.TrackMem, opts.LogFile)); // Phaul's own stay
            Assert.Equal(3, opts.LogLevel); // the callback runs last
        });
        Assert.Single(stated.External); // the template itself is not changed
    }

    [Fact]
    public void InProcessLocal_refuses_stated_options_that_set_what_Phaul_sets_itself()
    {
        // Failure handled: a template naming a parent or a log file would break the iteration chain or hide CRIU's log.
        using var wdir = new TempDirectory();
        using var server = PhaulServer.MakePhaulServer(new PhaulConfig { Pid = 1, Memfd = 0, Wdir = wdir.Path });

        var error = Assert.Throws<ArgumentException>(() => new InProcessLocal(server) { CriuOptions = new CriuOpts { ParentImg = "../0", LogFile = "x.log" } });

        Assert.Contains("InProcessLocal.CriuOptions sets log_file, parent_img, which Phaul sets itself", error.Message, StringComparison.Ordinal);
    }
}
