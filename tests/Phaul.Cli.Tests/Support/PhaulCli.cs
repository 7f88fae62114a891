using Phaul.Cli;
using Phaul.Cli.Hosting;

namespace Phaul.Cli.Tests.Support;

/// <summary>Runs phaul's command line in this process, with its output captured.</summary>
internal static class PhaulCli
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var root = Program.CreateRootCommand(stdout, stderr);
        var exitCode = await CommandLineRunner.RunAsync(root, args, stdout, stderr, TestContext.Current.CancellationToken);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>What a command line did.</summary>
internal sealed record CliResult(ExitCode ExitCode, string Stdout, string Stderr);
