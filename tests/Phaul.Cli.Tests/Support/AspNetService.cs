using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace Phaul.Cli.Tests.Support;

/// <summary>
/// The test asset Phaul.AspNetWorkload (an ASP.NET Core service whose GET /count answers how many requests it served,
/// a number held only in its memory) running as the root of its own PID and network namespaces, on 127.0.0.1:5000
/// inside that network namespace. Requests reach it through <c>nsenter --net=/proc/PID/ns/net curl</c>, whichever
/// host it runs on. Disposal kills it wherever it runs (the root of a PID namespace takes the namespace with it).
/// </summary>
internal sealed class AspNetService : IDisposable
{
    private const string Url = "http://127.0.0.1:5000";
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(60);

    private readonly Process _unshare;
    private readonly string _directory;

    private AspNetService(Process unshare, string directory) => (_unshare, _directory) = (unshare, directory);

    /// <summary>The tree's root as the host sees it; after a migration, the restored root.</summary>
    public int Pid { get; private set; }

    /// <summary>Starts the service with its network namespace's loopback up; returns once it answered a request.</summary>
    public static async Task<AspNetService> StartAsync(string hostNetworkNamespace, CancellationToken cancellationToken)
    {
        var directory = Directory.CreateTempSubdirectory("phaul-aspnet-").FullName;
        // exec through sh only to put stdio on /dev/null (an inherited pipe would become part of the dump). Diagnostics
        // off: the runtime's IPC socket in /tmp is not what this test is about. No config reload: no inotify watches.
        var command = $"exec nsenter --net=/run/netns/{hostNetworkNamespace} unshare --pid --net --fork setsid sh -c " +
                      $"'ip link set lo up && exec dotnet {Quote(AssetPath())} --urls {Url}' </dev/null >/dev/null 2>&1";
        var start = new ProcessStartInfo("/bin/sh", ["-c", command]) { WorkingDirectory = directory };
        start.Environment["DOTNET_EnableDiagnostics"] = "0";
        start.Environment["DOTNET_hostBuilder__reloadConfigOnChange"] = "false";
        var unshare = Process.Start(start) ?? throw new InvalidOperationException("could not start the ASP.NET Core service");
        var service = new AspNetService(unshare, directory);
        try
        {
            service.Pid = await WaitForDotnetAsync(unshare.Id, cancellationToken);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>The service moved: from now on it is the tree rooted at <paramref name="pid"/>.</summary>
    public void AdoptRestored(int pid) => Pid = pid;

    /// <summary>GET /count: the counter after this request; retried until <paramref name="patience"/> passes (the service may still be starting).</summary>
    public async Task<long> CountAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var (exitCode, output) = await CurlAsync(cancellationToken);
            if (exitCode == 0 && long.TryParse(output, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                return count;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"GET {Url}/count in pid {Pid}'s network namespace: curl exited {exitCode}, said '{output}'");
            await Task.Delay(100, cancellationToken);
        }
    }

    private async Task<(int ExitCode, string Output)> CurlAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("nsenter", [$"--net=/proc/{Pid}/ns/net", "curl", "-sS", "-m", "5", $"{Url}/count"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var curl = Process.Start(start) ?? throw new InvalidOperationException("could not start curl");
        var output = curl.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = curl.StandardError.ReadToEndAsync(cancellationToken);
        await curl.WaitForExitAsync(cancellationToken);
        return (curl.ExitCode, ((await output) + (await errors)).Trim());
    }

    // The unshare's child is sh, which execs dotnet: wait until the root of the namespace runs dotnet.
    private static Task<int> WaitForDotnetAsync(int unshare, CancellationToken cancellationToken) =>
        Poll.UntilAsync(() => ChildOf(unshare) is { } child && Command(child) == "dotnet" ? child : (int?)null,
                        StartPatience, $"unshare ({unshare}) to start dotnet", cancellationToken);

    private static int? ChildOf(int parent)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string? Command(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static string AssetPath() =>
        typeof(AspNetService).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                             .Single(attribute => attribute.Key == "AspNetWorkloadPath").Value!;

    private static string Quote(string path) => path.Contains('\'', StringComparison.Ordinal)
        ? throw new InvalidOperationException($"'{path}' contains a single quote")
        : $"\"{path}\"";

    /// <summary>Kills the service wherever it runs now and removes its directory.</summary>
    public void Dispose()
    {
        if (Pid > 0 && Workload.IsProcessRunning(Pid))
        {
            using (var kill = Process.Start("kill", ["-KILL", Pid.ToString(CultureInfo.InvariantCulture)]))
                kill.WaitForExit();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (Workload.IsProcessRunning(Pid) && DateTime.UtcNow < deadline)
                Thread.Sleep(10);
        }
        if (!_unshare.HasExited)
            _unshare.Kill(entireProcessTree: true);
        _unshare.WaitForExit();
        _unshare.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
