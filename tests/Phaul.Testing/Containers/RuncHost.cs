using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Phaul.Containers;
using Phaul.DemoWorkload;
using Xunit;

namespace Phaul.Testing;

/// <summary>
/// One simulated host's container side: its own runc root, its own bundle directory and its own cgroup parent (both
/// hosts share this machine's cgroups), removed with every container it has when disposed.
/// </summary>
public sealed class RuncHost : IAsyncDisposable
{
    private readonly string _directory;

    public RuncHost(string name)
    {
        Name = name;
        _directory = Directory.CreateTempSubdirectory($"phaul-runc-{name}-").FullName;
        Directory.CreateDirectory(RootPath);
        Runtime = new RuncRuntime(new RuncRuntimeOptions { Root = RootPath, CriuPath = RuncTestEnvironment.Criu });
    }

    public string Name { get; }

    public string RootPath => Path.Combine(_directory, "runc");

    public RuncRuntime Runtime { get; }

    public string BundlesDirectory => Directory.CreateDirectory(Path.Combine(_directory, "bundles")).FullName;

    /// <summary>The cgroup parent of this host's containers: both hosts share this machine's cgroups.</summary>
    public string CgroupParent => $"/phaul-test-{Name}";

    public string BundlePath(string id) => Path.Combine(_directory, "bundles", id);

    public string CreateDirectory(string name) => Directory.CreateDirectory(Path.Combine(_directory, name)).FullName;

    /// <summary>
    /// A busybox bundle whose container counts turns into /data/counter, about 20 a second; with
    /// <paramref name="serverPort"/>, it also serves TCP there, answering each line with the count of lines on that
    /// connection (1, 2, 3, ...), so that a client can tell its connection and the server's state went on.
    /// </summary>
    /// <param name="id">The container's id.</param>
    /// <param name="serverPort">Where its TCP server listens; null for none.</param>
    /// <param name="ballastMiB">Memory its shell holds (a variable of that size), so that its images are at least that large.</param>
    public async Task<string> CreateCounterBundleAsync(string id, int? serverPort = null, int ballastMiB = 0)
    {
        var bundle = BundlePath(id);
        var bin = Directory.CreateDirectory(Path.Combine(bundle, "rootfs", "bin")).FullName;
        File.Copy(RuncTestEnvironment.Busybox, Path.Combine(bin, "busybox"));
        foreach (var applet in new[] { "sh", "sleep", "echo", "cat" })
            File.CreateSymbolicLink(Path.Combine(bin, applet), "busybox");
        foreach (var dir in new[] { "proc", "sys", "dev", "tmp", "data" })
            Directory.CreateDirectory(Path.Combine(bundle, "rootfs", dir));
        await RunRuncAsync(["spec", "--bundle", bundle]);
        WithCgroupOfThisHost(bundle, id, config =>
        {
            config["process"]!["terminal"] = false;
            var server = serverPort is { } port ? $"nc -ll -p {port} -e /bin/sh -c 'n=0; while read l; do n=$((n+1)); echo $n; done' & " : "";
            var ballast = ballastMiB > 0 ? $"ballast=$(head -c {ballastMiB * 1024 * 1024} /dev/zero | tr '\\0' x); " : "";
            config["process"]!["args"] = new JsonArray("/bin/sh", "-c",
                server + ballast + "i=0; while true; do i=$((i+1)); echo $i > /data/counter.new; mv /data/counter.new /data/counter; " +
                BallastCheck + "sleep 0.05; done");
            config["root"]!["readonly"] = false;
        });
        return bundle;
    }

    // Only when asked (a file appears): expanding the variable copies it inside the shell, which would dirty as much
    // memory again as the ballast holds. A page lost in a move reads as zeros, which end the length early.
    private const string BallastCheck =
        "if [ -e /data/check-ballast ]; then case $ballast in *[!x]*) s=bad ;; *) s=intact ;; esac; " +
        "echo ${#ballast} $s > /data/ballast.new; mv /data/ballast.new /data/ballast; rm -f /data/check-ballast; fi; ";

    /// <summary>
    /// Asks the container's shell to read its whole ballast and say what it holds: its length in bytes, and whether every
    /// byte is still the 'x' it was filled with (its memory came through intact).
    /// </summary>
    public async Task<(long Length, bool Intact)> CheckBallastAsync(string id, TimeSpan within)
    {
        var data = Path.Combine(BundlePath(id), "rootfs", "data");
        File.Delete(Path.Combine(data, "ballast"));
        await File.WriteAllTextAsync(Path.Combine(data, "check-ballast"), "");
        var answer = await Poll.UntilAsync(() => TryRead(Path.Combine(data, "ballast")), within, $"container {id} to check its ballast");
        var words = answer.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (long.Parse(words[0], CultureInfo.InvariantCulture), words is [_, "intact"]);
    }

    /// <summary>What a file-system copy would give the destination: the bundle with its root file system, in this host's cgroup.</summary>
    public void ReceiveBundle(string sourceBundle, string id)
    {
        var target = BundlePath(id);
        CopyTree(sourceBundle, target);
        WithCgroupOfThisHost(target, id, _ => { });
    }

    /// <summary>
    /// Starts the bundle's container detached, its stdio /dev/null (a container's stdio must not be a host file); with
    /// <paramref name="networkNamespace"/>, runc runs in that network namespace, as on that host.
    /// </summary>
    public async Task RunAsync(string id, string? networkNamespace = null)
    {
        var log = Path.Combine(_directory, $"run-{id}.log");
        const string Run = "exec \"$0\" --root \"$1\" --log \"$2\" run --detach --bundle \"$3\" \"$4\" </dev/null >/dev/null 2>&1";
        string[] shell = ["-c", Run, RuncTestEnvironment.Runc, RootPath, log, BundlePath(id), id];
        var (exitCode, _) = networkNamespace is null
            ? await RunAsync("/bin/sh", shell)
            : await RunAsync("nsenter", [$"--net=/run/netns/{networkNamespace}", "/bin/sh", .. shell]);
        Assert.True(exitCode == 0, $"runc run {id} exited {exitCode}: {File.ReadAllText(log)}");
    }

    /// <summary>The container's counter, as its root file system holds it on this host.</summary>
    public long ReadCounter(string id) =>
        long.TryParse(TryRead(Path.Combine(BundlePath(id), "rootfs", "data", "counter")), out var counter) ? counter : 0;

    /// <summary>Polls until the counter passes <paramref name="above"/>; fails naming the last value at the deadline.</summary>
    public async Task<long> WaitForCounterAboveAsync(string id, long above, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        long counter;
        while ((counter = ReadCounter(id)) <= above)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{Name}: container {id}'s counter stayed at {counter}, not above {above}");
            await Task.Delay(20);
        }
        return counter;
    }

    public async ValueTask DisposeAsync()
    {
        if (Directory.Exists(RootPath))
        {
            foreach (var id in Directory.EnumerateDirectories(RootPath).Select(Path.GetFileName))
                await RunRuncAsync(["delete", "--force", id!], mustSucceed: false);
        }
        foreach (var id in Directory.Exists(Path.Combine(_directory, "bundles")) ? Directory.EnumerateDirectories(Path.Combine(_directory, "bundles")).Select(Path.GetFileName) : [])
            RemoveCgroups(CgroupPath(id!));
        Directory.Delete(_directory, recursive: true);
    }

    private string CgroupPath(string id) => $"{CgroupParent}/{id}";

    private void WithCgroupOfThisHost(string bundle, string id, Action<JsonNode> edit)
    {
        var path = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!;
        edit(config);
        config["linux"]!["cgroupsPath"] = CgroupPath(id);
        File.WriteAllText(path, config.ToJsonString());
    }

    private async Task RunRuncAsync(IReadOnlyList<string> arguments, bool mustSucceed = true)
    {
        var (exitCode, output) = await RunAsync(RuncTestEnvironment.Runc, ["--root", RootPath, .. arguments]);
        if (mustSucceed)
            Assert.True(exitCode == 0, $"runc {string.Join(' ', arguments)} exited {exitCode}: {output}");
    }

    // Only for commands that leave nothing running behind: a detached container would inherit the output pipe.
    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }

    // runc leaves the container's cgroup directories (cgroup v1: one per controller; v2: one) behind; empty ones can be removed.
    private static void RemoveCgroups(string path)
    {
        foreach (var controller in Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup"))
        {
            foreach (var dir in new[] { controller + path, Path.GetDirectoryName(controller + path)! })
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Not there, or still in use by another test's container.
                }
            }
        }
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var to = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link)
                File.CreateSymbolicLink(to, link);
            else if (entry is DirectoryInfo)
                CopyTree(entry.FullName, to);
            else
                File.Copy(entry.FullName, to);
        }
    }
}
