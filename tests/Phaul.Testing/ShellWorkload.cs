using System.Diagnostics;
using System.Globalization;
using Phaul.DemoWorkload;

namespace Phaul.Testing;

/// <summary>
/// A bash script run as a test workload in its own session, with stdio on /dev/null, in a fresh directory it may write
/// (its working directory): by default as the init of its own PID namespace (<c>unshare --pid --fork setsid bash -c</c>),
/// optionally in a named network namespace (<c>nsenter --net=/run/netns/NAME</c>). Disposing kills the script's root
/// (with a PID namespace, that ends every process in it) and removes the directory.
/// </summary>
public sealed class ShellWorkload : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private const string PidFile = "root.pid";

    private readonly Process _launcher;

    private ShellWorkload(Process launcher, string directory)
    {
        _launcher = launcher;
        Directory = directory;
    }

    /// <summary>The script's directory (its working directory).</summary>
    public string Directory { get; }

    /// <summary>The script's shell, the tree's root, as this host sees it (with a PID namespace: that namespace's init).</summary>
    public int Root { get; private set; }

    /// <param name="script">The bash script; a workload that counts writes its count to <c>counter</c> (see <see cref="Counter"/>).</param>
    /// <param name="networkNamespace">A network namespace made with <c>ip netns add</c> to run in, or null for this one.</param>
    /// <param name="ownPidNamespace">Whether the script is the init of its own PID namespace (CRIU restores it into a new one).</param>
    /// <param name="cancellationToken">Abandons the wait for the script to start.</param>
    public static async Task<ShellWorkload> StartAsync(string script, string? networkNamespace = null, bool ownPidNamespace = true,
                                                       CancellationToken cancellationToken = default)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("phaul-test-shell-").FullName;
        var nsenter = networkNamespace is null ? "" : $"nsenter --net=/run/netns/{networkNamespace} ";
        // Without a PID namespace the shell writes its own pid: setsid may fork, so the launcher's pid need not be the root's.
        var launch = ownPidNamespace
            ? $"exec {nsenter}unshare --pid --fork setsid bash -c \"$1\" </dev/null >/dev/null 2>&1"
            : $"exec {nsenter}setsid bash -c \"echo \\$\\$ > {PidFile}; $1\" </dev/null >/dev/null 2>&1";
        var start = new ProcessStartInfo("/bin/sh", ["-c", launch, "sh", script]) { WorkingDirectory = directory };
        var shell = new ShellWorkload(Process.Start(start) ?? throw new InvalidOperationException("could not start the script"), directory);
        try
        {
            shell.Root = ownPidNamespace
                ? await Poll.UntilAsync(() => FirstChild(shell._launcher.Id), StartTimeout, "unshare to fork the script", cancellationToken)
                : await Poll.UntilAsync(() => ReadNumber(Path.Combine(directory, PidFile)) is { } pid ? (int)pid : (int?)null, StartTimeout,
                                        "the script to write its pid", cancellationToken);
            return shell;
        }
        catch
        {
            shell.Dispose();
            throw;
        }
    }

    /// <summary>The root's first child, once it has one (with a PID namespace: pid 2 of it).</summary>
    public Task<int> FirstChildAsync(CancellationToken cancellationToken) =>
        Poll.UntilAsync(() => FirstChild(Root), StartTimeout, $"script {Root} to start its child", cancellationToken);

    /// <summary>The number the script last wrote to <c>counter</c> in its directory, or null before the first.</summary>
    public long? Counter() => ReadNumber(Path.Combine(Directory, "counter"));

    /// <summary>Waits until <see cref="Counter"/> grew by <paramref name="turns"/> from now: the script runs, and is not frozen.</summary>
    public async Task<long> WaitForCounterAsync(long turns, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var start = Counter() ?? 0;
        return await Poll.UntilAsync(() => Counter() is { } n && n >= start + turns ? n : (long?)null, timeout,
                                     $"the script under {Root} to count {turns} more", cancellationToken);
    }

    private static long? ReadNumber(string path)
    {
        try
        {
            return long.TryParse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static int? FirstChild(int parent)
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

    private static bool IsGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose()
    {
        if (Root > 0)
        {
            try
            {
                using var root = Process.GetProcessById(Root);
                root.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // already gone
            }
        }
        if (!_launcher.HasExited)
            _launcher.Kill(entireProcessTree: true);
        _launcher.WaitForExit();
        _launcher.Dispose();
        // The script may still write its counter until SIGKILL took effect: wait, or deleting its directory can fail.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Root > 0 && !IsGone(Root) && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
