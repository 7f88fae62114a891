using System.CommandLine;

namespace Phaul.Cli;

/// <summary>Options several commands share.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Criu = new("--criu")
    {
        Description = "CRIU binary to use (default: $PHAUL_CRIU, else criu on PATH)",
    };
}
