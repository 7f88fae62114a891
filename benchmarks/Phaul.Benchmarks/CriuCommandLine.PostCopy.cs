using System.Diagnostics;

namespace Phaul.Benchmarks;

internal sealed partial class CriuCommandLine
{
    private static readonly TimeSpan ReadyPoll = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Post-copy by hand on loopback: <c>criu dump --lazy-pages --address --port</c> on the source until it
    /// serves pages (<c>--status-fd</c>), the images copied, <c>criu lazy-pages --page-server</c> on the
    /// destination until it listens, <c>criu restore --lazy-pages -d</c>; done when both CRIUs exited, i.e.
    /// every page arrived.
    /// </summary>
    public Task<Measurement> PostCopyAsync(int memoryMiB, CancellationToken cancellationToken) =>
        MeasureAsync(memoryMiB, async (pid, scratch) =>
        {
            var (source, destination) = (scratch.Sub("source"), scratch.Sub("destination"));
            var port = Text(FreeLoopbackPort());
            // The tree is frozen from the dump's start until the restore resumes it on the destination.
            using var dump = await StartUntilReadyAsync(source, "dump.log", cancellationToken,
                                                        "dump", "-t", Text(pid), "-D", source, "--lazy-pages", "--address", "127.0.0.1", "--port", port);
            CopyImages(source, destination);
            using var daemon = await StartUntilReadyAsync(destination, "lazy-pages.log", cancellationToken,
                                                          "lazy-pages", "--page-server", "--address", "127.0.0.1", "--port", port, "-D", destination);
            var restoredPid = await RestoreAsync(destination, cancellationToken, "--lazy-pages");
            await WaitForSuccessAsync(daemon.Process, destination, "lazy-pages.log", "lazy-pages", cancellationToken);
            await WaitForSuccessAsync(dump.Process, source, "dump.log", "dump", cancellationToken);
            return restoredPid;
        }, cancellationToken);

    /// <summary>
    /// Starts a CRIU command that keeps running, and returns once it wrote to its <c>--status-fd</c> (fd 3, a
    /// file here, opened by the shell that execs CRIU); fails with its log tail when it exits first.
    /// </summary>
    private async Task<BackgroundCriu> StartUntilReadyAsync(string logDirectory, string logFile, CancellationToken cancellationToken,
                                                            params string[] args)
    {
        var status = Path.Combine(logDirectory, $"{args[0]}.status");
        var criu = new BackgroundCriu(Process.Start(new ProcessStartInfo(
            "/bin/sh", ["-c", "status=$1; shift; exec \"$@\" 3>\"$status\"", "sh", status, criuPath, .. args, "--status-fd", "3", "-o", logFile]))
            ?? throw new InvalidOperationException("could not start /bin/sh"));
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(status) || new FileInfo(status).Length == 0)
            {
                if (criu.Process.HasExited)
                {
                    await WaitForSuccessAsync(criu.Process, logDirectory, logFile, args[0], cancellationToken);
                    throw new InvalidOperationException($"criu {args[0]} exited without saying it was ready");
                }
                if (deadline.Elapsed > CommandTimeout)
                    throw new TimeoutException($"criu {args[0]} was not ready within {CommandTimeout}");
                await Task.Delay(ReadyPoll, cancellationToken);
            }
            return criu;
        }
        catch
        {
            criu.Dispose();
            throw;
        }
    }

    /// <summary>A CRIU that runs beside the benchmark; killed if it still runs when the measurement ends.</summary>
    private sealed class BackgroundCriu(Process process) : IDisposable
    {
        public Process Process => process;

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
            process.Dispose();
        }
    }
}
