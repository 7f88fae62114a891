using Phaul.Cli.Commands;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.Commands;

public class CheckTests
{
    [Fact]
    public async Task A_missing_CRIU_is_a_problem_with_its_fix()
    {
        // Failure handled: no CRIU at the given path.
        using var dir = new TempDirectory();
        var stdout = new StringWriter();

        var result = await CheckCommand.RunAsync(new CheckOptions(dir.File("criu")), stdout, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCode.Failed, result);
        var problem = Assert.Single(Lines(stdout), line => line.StartsWith("PROBLEM  CRIU unusable", StringComparison.Ordinal));
        Assert.Contains("scripts/install-criu.sh or set PHAUL_CRIU", problem, StringComparison.Ordinal);
        Assert.Contains(Lines(stdout), line => line.StartsWith("ok       fs.pipe-max-size", StringComparison.Ordinal)
                                               || line.StartsWith("warning  fs.pipe-max-size", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_json_the_checks_are_one_document_a_script_can_read()
    {
        // Failure handled: no CRIU at the given path, reported as a problem and ready = false.
        using var dir = new TempDirectory();
        var stdout = new StringWriter();

        var result = await CheckCommand.RunAsync(new CheckOptions(dir.File("criu"), Json: true), stdout, TestContext.Current.CancellationToken);

        Assert.Equal(ExitCode.Failed, result);
        using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        var root = json.RootElement;
        Assert.Equal(CheckReport.SchemaVersion, root.GetProperty("schemaVersion").GetInt32());
        Assert.False(root.GetProperty("ready").GetBoolean());
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(("ok", "running as root"), (checks[0].GetProperty("status").GetString(), checks[0].GetProperty("text").GetString()));
        Assert.Contains(checks, check => check.GetProperty("status").GetString() == "problem"
                                         && check.GetProperty("text").GetString()!.StartsWith("CRIU unusable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_real_CRIU_every_check_prints_a_line_and_none_is_a_problem()
    {
        var criu = CriuTestEnvironment.RequireCriu();
        var stdout = new StringWriter();

        var result = await CheckCommand.RunAsync(new CheckOptions(criu), stdout, TestContext.Current.CancellationToken);

        var lines = Lines(stdout);
        Assert.Equal(ExitCode.Success, result);
        Assert.Equal("ok       running as root", lines[0]);
        Assert.Matches(@"^ok       CRIU \d+\.\d+\.\d+$", lines[1]);
        Assert.Matches("^(ok       memory tracking|warning  no memory tracking)", lines[2]);
        Assert.Matches("^(ok       lazy pages|warning  no lazy pages)", lines[3]);
        Assert.Matches("^(ok|warning)  +fs.pipe-max-size", lines[4]);
        Assert.Matches("^(ok|warning)  +vm.overcommit_memory = [012] ", lines[5]);
        Assert.Matches("^(ok       rsync /.*/rsync: file-system migration|warning  rsync not found: .* apt-get install rsync$)", lines[6]);
        Assert.Matches(@"^(ok       runc version \S+: container migration \(--container, serve --containers\) available|warning  no usable runc \(.*\): .* apt-get install runc)$", lines[7]);
        // Runtimes Phaul cannot move containers of are named when installed, each with what to do instead.
        Assert.All(lines[8..], line => Assert.Matches("^warning  (crun|podman) found at /.*: Phaul migrates containers through runc only; ", line));
    }

    [Theory]
    [InlineData(0, "warning  vm.overcommit_memory = 0 (heuristic): post-copy and hybrid cannot restore here a tree with a private mapping larger than RAM + swap (24.0 GiB), which every .NET process has; migrations of such trees use stop-and-copy; fix: sysctl vm.overcommit_memory=1")]
    [InlineData(1, "ok       vm.overcommit_memory = 1 (always overcommit): post-copy and hybrid can restore any tree here, also one with large address-space reservations (.NET, Java)")]
    [InlineData(2, "warning  vm.overcommit_memory = 2 (strict accounting): post-copy and hybrid can restore here only a tree whose private mappings fit under CommitLimit (12.0 GiB, 2.0 GiB committed); migrations of other trees use stop-and-copy; fix: sysctl vm.overcommit_memory=1")]
    public void The_overcommit_check_says_what_the_setting_means_for_post_copy_and_gives_the_fix(int mode, string expected)
    {
        // Failure handled: a destination whose overcommit setting makes CRIU's lazy restore of a .NET tree fail with ENOMEM.
        var stdout = new StringWriter();

        CheckCommand.CheckOvercommit(new CheckReport(stdout), new DestinationMemory(mode, 24L << 30, 12L << 30, 2L << 30));

        Assert.Equal(expected, Assert.Single(Lines(stdout)));
    }

    [Fact]
    public void With_json_the_overcommit_check_is_one_entry_with_its_status()
    {
        var stdout = new StringWriter();
        var report = new CheckReport(stdout, json: true);

        CheckCommand.CheckOvercommit(report, new DestinationMemory(0, 24L << 30, 12L << 30, 2L << 30));
        report.Finish();

        using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
        var check = Assert.Single(json.RootElement.GetProperty("checks").EnumerateArray());
        Assert.Equal("warning", check.GetProperty("status").GetString());
        Assert.StartsWith("vm.overcommit_memory = 0 (heuristic)", check.GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1048576\n", "CapEff:\t000001fffeffffff\n", false)] // Failure handled: the default 1 MiB and no CAP_SYS_RESOURCE.
    [InlineData("8388608\n", "CapEff:\t000001fffeffffff\n", true)]
    [InlineData("1048576\n", "CapEff:\t000001ffffffffff\n", true)] // CAP_SYS_RESOURCE lets CRIU grow pipes past the limit.
    public void The_pipe_size_check_applies_the_post_copy_rule_and_gives_the_fix(string pipeMaxSize, string status, bool enough)
    {
        var stdout = new StringWriter();

        CheckCommand.CheckPipeMaxSize(new CheckReport(stdout), pipeMaxSize, status);

        var line = Assert.Single(Lines(stdout));
        if (enough)
        {
            Assert.StartsWith($"ok       fs.pipe-max-size {pipeMaxSize.Trim()}: post-copy and hybrid can run from this host", line, StringComparison.Ordinal);
        }
        else
        {
            Assert.StartsWith("warning  fs.pipe-max-size too small: no post-copy or hybrid from this host", line, StringComparison.Ordinal);
            Assert.Contains("fix: sysctl -w fs.pipe-max-size=8388608", line, StringComparison.Ordinal);
        }
    }

    private static string[] Lines(StringWriter output) => output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
