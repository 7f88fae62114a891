using System.CommandLine;
using Phaul.Transport;

namespace Phaul.Cli.Commands;

/// <summary>What <c>phaul keygen</c> was asked.</summary>
/// <param name="File">The key file to create.</param>
internal sealed record KeygenOptions(string File);

/// <summary><c>phaul keygen FILE</c>: writes a new random pre-shared key, readable by its owner only, and never overwrites one.</summary>
internal static class KeygenCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string>("FILE") { Description = "The key file to create (mode 0600); it must not exist yet" };
        var command = new Command("keygen", "Write a new random pre-shared key for 'phaul serve' and 'phaul migrate'.") { file };
        command.SetAction(parse => (int)Run(new KeygenOptions(parse.GetValue(file)!), stdout, stderr));
        return command;
    }

    public static ExitCode Run(KeygenOptions options, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            PreSharedKey.GenerateFile(options.File);
        }
        catch (IOException) when (File.Exists(options.File) || Directory.Exists(options.File))
        {
            stderr.WriteLine($"phaul keygen: '{options.File}' exists; keygen never overwrites a key. Remove it first or choose another name.");
            return ExitCode.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"phaul keygen: cannot create '{options.File}': {e.Message}");
            return ExitCode.BadInput;
        }
        stdout.WriteLine($"Wrote a new key to {options.File} (mode 0600).");
        stdout.WriteLine("Copy it to the other host over a secure channel (e.g. scp) and give both 'phaul serve' and 'phaul migrate' --key-file.");
        return ExitCode.Success;
    }
}
