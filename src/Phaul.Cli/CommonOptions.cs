using System.CommandLine;

namespace Phaul.Cli;

/// <summary>Options several commands share; each command gets its own instances.</summary>
internal static class CommonOptions
{
    public static Option<string?> Criu() => new("--criu")
    {
        Description = "CRIU binary to use (default: $PHAUL_CRIU, else criu on PATH)",
        HelpName = "PATH",
    };

    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Log what Phaul, CRIU and the transport do, to stderr",
    };

    public static Option<string> KeyFile() => new("--key-file", "-k")
    {
        Description = "The pre-shared key file made by 'phaul keygen'; both hosts need the same one",
        HelpName = "FILE",
        Required = true,
    };
}
