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
        Assert.Matches("^(ok       rsync /.*/rsync: file-system migration|warning  rsync not found: .* apt-get install rsync$)", lines[5]);
        Assert.Equal(6, lines.Length);
    }

    private static string[] Lines(StringWriter output) => output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
