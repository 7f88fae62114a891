using Phaul.Transport;

namespace Phaul.Cli.Hosting;

/// <summary>Reads the <c>--key-file</c> of a command, or says on stderr why it cannot be used.</summary>
internal static class KeyFileInput
{
    public static PreSharedKey? TryLoad(string path, string command, TextWriter stderr)
    {
        try
        {
            return PreSharedKey.LoadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            stderr.WriteLine($"phaul {command}: --key-file: {e.Message}");
            return null;
        }
    }
}
