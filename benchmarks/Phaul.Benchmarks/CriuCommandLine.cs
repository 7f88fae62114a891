using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Phaul.DemoWorkload;

namespace Phaul.Benchmarks;

/// <summary>Migrates a workload with the plain CRIU command line, as an operator would by hand.</summary>
internal sealed partial class CriuCommandLine(string criuPath)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    /// <summary><c>criu dump -t PID -D dir</c>, then <c>criu restore -D dir -d</c>: no page server.</summary>
    public Task<Measurement> DumpRestoreAsync(int memoryMiB, CancellationToken cancellationToken) =>
        MeasureAsync(memoryMiB, async (pid, scratch) =>
        {
            var images = scratch.Sub("images");
            await RunAsync(images, "dump.log", cancellationToken, "dump", "-t", Text(pid), "-D", images);
            return await RestoreAsync(images, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// <c>criu page-server</c> on loopback, <c>criu dump --page-server</c> into it, the other images copied
    /// beside the pages, <c>criu restore -d</c> there: the same path as Phaul's, driven by hand. The dump
    /// removes the source tree before the restore starts.
    /// </summary>
    public Task<Measurement> ThroughPageServerAsync(int memoryMiB, CancellationToken cancellationToken) =>
        MeasureAsync(memoryMiB, async (pid, scratch) =>
        {
            var destination = await DumpThroughPageServerAsync(pid, scratch, cancellationToken);
            return await RestoreAsync(destination, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// As <see cref="ThroughPageServerAsync"/>, in the order a migration tool must keep: the dump leaves the
    /// source tree stopped (<c>--leave-stopped</c>), the restore runs while it still holds its memory, and only
    /// then is the source killed, so a failed restore could have resumed it. On one machine the restore is
    /// slower beside the source's memory than after the dump freed it, which the other order hides.
    /// </summary>
    public Task<Measurement> ThroughPageServerSourceKeptAsync(int memoryMiB, CancellationToken cancellationToken) =>
        MeasureAsync(memoryMiB, async (pid, scratch) =>
        {
            var destination = await DumpThroughPageServerAsync(pid, scratch, cancellationToken, "--leave-stopped");
            var restoredPid = await RestoreAsync(destination, cancellationToken);
            await KillUntilReapedAsync(pid, cancellationToken);
            return restoredPid;
        }, cancellationToken);

    /// <summary>
    /// <c>criu page-server</c> on loopback, <c>criu dump --page-server</c> into it, then the other images
    /// copied beside the pages; returns the directory to restore from.
    /// </summary>
    private async Task<string> DumpThroughPageServerAsync(int pid, Scratch scratch, CancellationToken cancellationToken,
                                                          params string[] extraDumpArgs)
    {
        var (source, destination) = (scratch.Sub("source"), scratch.Sub("destination"));
        var port = Text(FreeLoopbackPort());
        var pageServerPidFile = Path.Combine(destination, "page-server.pid");
        await RunAsync(destination, "page-server.log", cancellationToken,
                       "page-server", "-D", destination, "--address", "127.0.0.1", "--port", port, "-d", "--pidfile", pageServerPidFile);
        try
        {
            // The page server exits by itself once the dump has sent everything.
            await RunAsync(source, "dump.log", cancellationToken,
                           ["dump", "-t", Text(pid), "-D", source, "--page-server", "--address", "127.0.0.1", "--port", port, .. extraDumpArgs]);
        }
        catch
        {
            KillIfRunning(pageServerPidFile);
            throw;
        }
        CopyImages(source, destination);
        return destination;
    }

    private static async Task<Measurement> MeasureAsync(int memoryMiB, Func<int, Scratch, Task<int>> migrate,
                                                        CancellationToken cancellationToken)
    {
        var (workload, gapBefore) = await WorkloadProbe.StartAsync(memoryMiB, cancellationToken);
        using (workload)
        {
            using var scratch = new Scratch();
            var clock = Stopwatch.StartNew();
            var restoredPid = await migrate(workload.Pid, scratch);
            var wallTime = clock.Elapsed;
            var downtime = await WorkloadProbe.DowntimeAfterAsync(workload, restoredPid, cancellationToken);
            return new Measurement(downtime, wallTime, gapBefore);
        }
    }

    private async Task<int> RestoreAsync(string images, CancellationToken cancellationToken, params string[] extraArgs)
    {
        var pidFile = Path.Combine(images, "restored.pid");
        await RunAsync(images, "restore.log", cancellationToken, ["restore", "-D", images, "-d", "--pidfile", pidFile, .. extraArgs]);
        return int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Copies the images <paramref name="destination"/> does not have yet (a page server wrote the pages there).</summary>
    private static void CopyImages(string source, string destination)
    {
        foreach (var image in Directory.GetFiles(source, "*.img").Where(image => !File.Exists(Path.Combine(destination, Path.GetFileName(image)))))
            File.Copy(image, Path.Combine(destination, Path.GetFileName(image)));
    }

    /// <summary>Runs one CRIU command logging into <paramref name="logDirectory"/>; fails with its log tail.</summary>
    private async Task RunAsync(string logDirectory, string logFile, CancellationToken cancellationToken, params string[] args)
    {
        // stdio inherited, not piped: a daemon CRIU forks (page server) would hold a pipe open past our wait.
        using var criu = Process.Start(new ProcessStartInfo(criuPath, [.. args, "-o", logFile]))
            ?? throw new InvalidOperationException($"could not start {criuPath}");
        await WaitForSuccessAsync(criu, logDirectory, logFile, args[0], cancellationToken);
    }

    /// <summary>Waits for a CRIU command to exit (bounded by <see cref="CommandTimeout"/>); fails with its log tail.</summary>
    private static async Task WaitForSuccessAsync(Process criu, string logDirectory, string logFile, string command,
                                                  CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(CommandTimeout);
        try
        {
            await criu.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            criu.Kill(entireProcessTree: true);
            throw;
        }
        if (criu.ExitCode != 0)
        {
            var log = Path.Combine(logDirectory, logFile);
            var tail = File.Exists(log) ? string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(15)) : "(no log)";
            throw new InvalidOperationException($"criu {command} exited with {criu.ExitCode}; its log ends with:{Environment.NewLine}{tail}");
        }
    }

    private static void KillIfRunning(string pidFile)
    {
        if (!File.Exists(pidFile))
            return;
        try
        {
            using var process = Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture));
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Gone already.
        }
    }

    /// <summary>
    /// SIGKILLs the stopped source tree's root (which ends its PID namespace) and waits until its parent
    /// (<c>unshare</c>) has reaped it: until then the source still holds its memory.
    /// </summary>
    private static async Task KillUntilReapedAsync(int pid, CancellationToken cancellationToken)
    {
        using (var root = Process.GetProcessById(pid))
            root.Kill();
        await Poll.UntilAsync(() => Directory.Exists($"/proc/{pid}") ? null : "reaped", CommandTimeout,
                              $"the source tree's root {pid} to be reaped", cancellationToken);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
