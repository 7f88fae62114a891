using System.CommandLine;
using Phaul.Cli.Commands;

namespace Phaul.Cli;

internal static class Program
{
    private static Task<int> Main(string[] args)
    {
        var root = new RootCommand("phaul: live-migrate a Linux process tree to another host with CRIU.")
        {
            CheckCommand.Create(Console.Out),
        };
        return root.Parse(args).InvokeAsync();
    }
}
