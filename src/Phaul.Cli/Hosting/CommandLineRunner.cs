using System.CommandLine;
using System.CommandLine.Invocation;

namespace Phaul.Cli.Hosting;

/// <summary>Parses a command line and runs the chosen command; a command line that does not parse exits with <see cref="ExitCode.BadInput"/>.</summary>
internal static class CommandLineRunner
{
    public static async Task<ExitCode> RunAsync(RootCommand root, string[] args, TextWriter stdout, TextWriter stderr,
                                                CancellationToken cancellationToken)
    {
        var parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            foreach (var error in parsed.Errors)
                stderr.WriteLine($"phaul: {error.Message}");
            var command = parsed.CommandResult.Command;
            stderr.WriteLine(command == root ? "Run 'phaul --help' for usage." : $"Run 'phaul {command.Name} --help' for usage.");
            return ExitCode.BadInput;
        }
        // Signals are TerminationSignals' job: System.CommandLine's own handling would end the
        // process two seconds after Ctrl-C, cutting a migration's or the demo's cleanup short.
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null };
        return (ExitCode)await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
