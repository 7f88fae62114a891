using Phaul.Transport;

namespace Phaul.Cli.Tests.Support;

/// <summary>The built CLI on <see cref="TwoHosts"/>: <c>phaul serve</c> on the destination, <c>phaul migrate</c> from the source.</summary>
internal static class TwoHostCli
{
    public const int Port = 7480;

    private static readonly TimeSpan ListenPatience = TimeSpan.FromSeconds(60);

    /// <summary>Writes a new key file into <paramref name="dir"/>; returns its path.</summary>
    public static string NewKey(TempDirectory dir, string name = "key")
    {
        PreSharedKey.GenerateFile(dir.File(name));
        return dir.File(name);
    }

    /// <summary>
    /// Starts <c>phaul serve</c> on the destination host, with <paramref name="more"/> options; returns once it listens.
    /// With <paramref name="mounts"/>, in a mount namespace of its own with those bind mounts (<see cref="PhaulProcess.StartWithMounts"/>).
    /// </summary>
    public static async Task<PhaulProcess> StartServeAsync(TwoHosts hosts, string sessions, string key,
                                                           IReadOnlyList<(string Source, string Target)>? mounts = null, params string[] more)
    {
        string[] args = ["serve", "--listen", $"{hosts.DestinationAddress}:{Port}", "--wdir", sessions, "--key-file", key, .. more];
        var serve = mounts is null ? PhaulProcess.Start(hosts.Destination, args) : PhaulProcess.StartWithMounts(hosts.Destination, mounts, args);
        try
        {
            await serve.WaitForStdoutAsync(line => line.StartsWith("phaul serve: listening on", StringComparison.Ordinal), ListenPatience, "serve to listen");
            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <c>phaul migrate</c> of <paramref name="pid"/> on the source host, towards the destination's <c>phaul serve</c>.</summary>
    public static PhaulProcess StartMigrate(TwoHosts hosts, int pid, string key, params string[] more) =>
        PhaulProcess.Start(hosts.Source, ["migrate", "--pid", $"{pid}", "--to", $"{hosts.DestinationAddress}:{Port}", "--key-file", key, .. more]);
}
