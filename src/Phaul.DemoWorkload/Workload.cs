using System.Diagnostics;

namespace Phaul.DemoWorkload;

/// <summary>
/// A running test workload: the root of its own PID namespace (so a restore never clashes with a
/// zombie's pid), stdio on /dev/null, reporting its state to a status file.
/// </summary>
public sealed class Workload : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _unshare;
    private readonly string _directory;

    private Workload(Process unshare, string directory, string statusFile)
    {
        _unshare = unshare;
        _directory = directory;
        StatusFile = statusFile;
    }

    /// <summary>The tree's root as the host sees it: what to dump. After a migration, the restored root.</summary>
    public int Pid { get; private set; }

    /// <summary>The file the workload rewrites with its state every few milliseconds.</summary>
    public string StatusFile { get; }

    /// <summary>Starts a workload holding <paramref name="memoryMiB"/> of verified memory.</summary>
    public static Task<Workload> StartAsync(int memoryMiB, int dirtyPagesPerTick = 0,
                                            CancellationToken cancellationToken = default) =>
        LaunchAsync(memoryMiB, dirtyPagesPerTick, 0, "--pid", "", "", cancellationToken);

    /// <summary>
    /// Starts a workload that rewrites <paramref name="dirtyPagesPerTick"/> pages per tick, cycling through
    /// only its first <paramref name="hotSetPages"/> pages: its dirty set stays bounded, so iterative
    /// pre-copy converges however long each pre-dump takes.
    /// </summary>
    public static Task<Workload> StartWithHotSetAsync(int memoryMiB, int dirtyPagesPerTick, int hotSetPages,
                                                      CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hotSetPages);
        return LaunchAsync(memoryMiB, dirtyPagesPerTick, hotSetPages, "--pid", "", "", cancellationToken);
    }

    /// <summary>
    /// Starts a workload like <see cref="StartAsync"/>, inside the named network namespace
    /// (<c>ip netns add NAME</c>), e.g. a test's "source host". Only the network namespace changes:
    /// the workload shares the mount namespace of whoever dumps it, so CRIU need not dump mounts.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="networkNamespace"/> is not a plain name.</exception>
    public static Task<Workload> StartInNetworkNamespaceAsync(string networkNamespace, int memoryMiB, int dirtyPagesPerTick = 0,
                                                              CancellationToken cancellationToken = default)
    {
        return LaunchAsync(memoryMiB, dirtyPagesPerTick, 0, "--pid", NetworkNamespacePrefix(networkNamespace), "", cancellationToken);
    }

    /// <summary>
    /// Starts a workload that keeps <paramref name="appendFile"/> open for appending and appends one numbered
    /// line ("1", "2", ...) to it about every 10 ms (<see cref="WorkloadStatus.AppendedLines"/> counts them),
    /// optionally inside a network namespace as <see cref="StartInNetworkNamespaceAsync"/> does.
    /// </summary>
    /// <exception cref="ArgumentException">A name or path is unusable; the message names it.</exception>
    public static Task<Workload> StartAppendingAsync(int memoryMiB, string appendFile, string? networkNamespace = null,
                                                     CancellationToken cancellationToken = default)
    {
        if (!Path.IsPathFullyQualified(appendFile) || appendFile.Contains('\'', StringComparison.Ordinal))
            throw new ArgumentException($"'{appendFile}' is not an absolute path without a single quote.", nameof(appendFile));
        var prefix = networkNamespace is null ? "" : NetworkNamespacePrefix(networkNamespace);
        return LaunchAsync(memoryMiB, 0, 0, "--pid", prefix, appendFile, cancellationToken);
    }

    private static string NetworkNamespacePrefix(string networkNamespace)
    {
        ArgumentException.ThrowIfNullOrEmpty(networkNamespace);
        if (!networkNamespace.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || networkNamespace.StartsWith('.'))
            throw new ArgumentException($"'{networkNamespace}' is not a network namespace name (letters, digits, '-', '_', '.').", nameof(networkNamespace));
        return $"nsenter --net=/run/netns/{networkNamespace} ";
    }

    /// <summary>
    /// Starts a workload that also has its own network namespace: CRIU then dumps and restores the
    /// namespace and locks and unlocks its network (the network-lock and network-unlock notifications).
    /// </summary>
    public static Task<Workload> StartWithOwnNetworkAsync(int memoryMiB, CancellationToken cancellationToken = default) =>
        LaunchAsync(memoryMiB, 0, 0, "--pid --net", "", "", cancellationToken);

    private static async Task<Workload> LaunchAsync(int memoryMiB, int dirtyPagesPerTick, int hotSetPages,
                                                    string namespaces, string prefix, string appendFile,
                                                    CancellationToken cancellationToken)
    {
        var binary = await WorkloadBinary.InTemporaryDirectory.GetPathAsync(cancellationToken);
        var directory = Directory.CreateTempSubdirectory("phaul-workload-").FullName;
        var statusFile = Path.Combine(directory, "status");
        // exec through sh only to put stdio on /dev/null: an inherited pipe would become part of the dump.
        // A prefix (nsenter) execs unshare in turn: the process started stays unshare, the workload's parent.
        var command = $"exec {prefix}unshare {namespaces} --fork setsid '{binary}' {memoryMiB} '{statusFile}' {dirtyPagesPerTick} {hotSetPages} '{appendFile}' "
                      + "</dev/null >/dev/null 2>&1";
        // A writable cwd: CRIU's dump creates a directory in the dumped tree's cwd.
        var unshare = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", command]) { WorkingDirectory = directory })
            ?? throw new InvalidOperationException("could not start the workload");
        var workload = new Workload(unshare, directory, statusFile);
        try
        {
            workload.Pid = await WaitForChildAsync(unshare.Id, cancellationToken);
            await workload.WaitForProgressAsync(1, StartTimeout, cancellationToken);
            return workload;
        }
        catch
        {
            workload.Dispose();
            throw;
        }
    }

    /// <summary>The workload moved: from now on it is the tree rooted at <paramref name="pid"/>.</summary>
    public void AdoptRestored(int pid) => Pid = pid;

    /// <summary>The state the workload reported last.</summary>
    public WorkloadStatus ReadStatus() => WorkloadStatus.Parse(File.ReadAllText(StatusFile));

    /// <summary>Whether <see cref="Pid"/> is a live process (not gone, not a zombie).</summary>
    public bool IsRunning => IsProcessRunning(Pid);

    /// <summary>Whether <paramref name="pid"/> is a live process (not gone, not a zombie).</summary>
    public static bool IsProcessRunning(int pid) => ProcessState(pid) is { } state && state != 'Z' && state != 'X';

    /// <summary>Waits until the counter has advanced by <paramref name="turns"/> from now.</summary>
    public async Task<WorkloadStatus> WaitForProgressAsync(long turns, TimeSpan timeout,
                                                           CancellationToken cancellationToken = default)
    {
        var start = TryReadStatus()?.Counter ?? 0;
        return await Poll.UntilAsync(() => TryReadStatus() is { } s && s.Counter >= start + turns ? s : null,
                                     timeout, $"workload {Pid} to advance its counter by {turns}", cancellationToken);
    }

    /// <summary>
    /// Waits until the workload has checked every word of its memory from now on: it verifies its memory in
    /// order, a slice a turn, so once it verified as many words as it holds, every page was read and checked
    /// (after a post-copy migration: every page that had to come from the source).
    /// </summary>
    public async Task<WorkloadStatus> WaitForAllMemoryVerifiedAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var start = TryReadStatus()?.VerifiedWords ?? 0;
        return await Poll.UntilAsync(() => TryReadStatus() is { } s && s.VerifiedWords >= start + s.MemoryWords ? s : null,
                                     timeout, $"workload {Pid} to verify all of its memory", cancellationToken);
    }

    /// <summary>Waits until the process at <see cref="Pid"/> has ended (a dump without leave-running kills it).</summary>
    public Task WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Poll.UntilAsync(() => IsRunning ? null : "ended", timeout, $"workload {Pid} to end", cancellationToken);

    private WorkloadStatus? TryReadStatus()
    {
        try
        {
            return ReadStatus();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static Task<int> WaitForChildAsync(int parent, CancellationToken cancellationToken) =>
        Poll.UntilAsync(() => ChildOf(parent), StartTimeout, $"unshare ({parent}) to fork the workload", cancellationToken);

    private static int? ChildOf(int parent)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{parent}/task/{parent}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children.Length > 0 ? int.Parse(children[0], System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static char? ProcessState(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Kills the workload wherever it runs now and removes its files.</summary>
    public void Dispose()
    {
        // The namespace's init ignores SIGTERM; SIGKILL on it ends the whole namespace.
        if (Pid > 0 && Kill(Pid))
            WaitUntilGone(Pid);
        if (!_unshare.HasExited)
            _unshare.Kill(entireProcessTree: true);
        _unshare.WaitForExit();
        _unshare.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    // SIGKILL takes effect asynchronously, and until then the workload may still create its status file:
    // deleting the directory under it failed with "Directory not empty". A restored tree is no child of
    // ours to wait for, so poll.
    private static void WaitUntilGone(int pid)
    {
        var deadline = DateTime.UtcNow + ExitTimeout;
        while (IsProcessRunning(pid) && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
    }

    private static bool Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false; // already gone
        }
    }
}
