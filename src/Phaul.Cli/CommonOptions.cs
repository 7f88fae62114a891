using System.CommandLine;
using Phaul.Cli.Parsing;

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

    public static Option<TimeSpan?> HandshakeTimeout() => new("--handshake-timeout")
    {
        Description = "How long each connection between the hosts may take to open and authenticate, and each step of a hand-over query " +
                      "(e.g. 30s, 2min; default 10s): more for a slow, loaded or emulated host",
        HelpName = "DURATION",
        CustomParser = OptionParsers.Duration,
    };

    public static Option<bool> InsecurePlaintext() => new("--insecure-plaintext")
    {
        Description = "Send memory, images, file copies and control messages UNENCRYPTED: anyone on the path can read the tree's memory " +
                      "and change what the destination restores (the key still authenticates both ends). Both hosts must give it; one alone is refused",
    };
}
