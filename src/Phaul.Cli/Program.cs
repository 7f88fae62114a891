using System.CommandLine;
using Phaul.Cli.Commands;
using Phaul.Cli.Hosting;

namespace Phaul.Cli;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var signals = new TerminationSignals();
        var root = CreateRootCommand(Console.Out, Console.Error);
        return (int)await CommandLineRunner.RunAsync(root, args, Console.Out, Console.Error, signals.Token).ConfigureAwait(false);
    }

    /// <summary>phaul's commands, writing their output to <paramref name="stdout"/> and <paramref name="stderr"/>.</summary>
    internal static RootCommand CreateRootCommand(TextWriter stdout, TextWriter stderr) =>
        new("phaul: live-migrate a Linux process tree to another host with CRIU.")
        {
            CheckCommand.Create(stdout),
            KeygenCommand.Create(stdout, stderr),
            ServeCommand.Create(stdout, stderr),
            MigrateCommand.Create(stdout, stderr),
            DemoCommand.Create(stdout, stderr),
        };
}
