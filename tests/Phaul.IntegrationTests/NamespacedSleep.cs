using System.Diagnostics;

namespace Phaul.IntegrationTests;

/// <summary>
/// A minimal CRIU workload: <c>sleep</c> as the root (PID 1) of its own PID namespace, in its own
/// session, stdio on /dev/null, so CRIU can dump it and a restore cannot clash with a lingering zombie.
/// </summary>
internal sealed class NamespacedSleep : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _unshare;

    private NamespacedSleep(Process unshare, int pid)
    {
        _unshare = unshare;
        Pid = pid;
    }

    /// <summary>The sleep's pid as the host sees it (the one to give CRIU).</summary>
    public int Pid { get; }

    public static async Task<NamespacedSleep> StartAsync(CancellationToken cancellationToken)
    {
        // sh only sets up the redirections and then becomes unshare (exec).
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec unshare --pid --fork setsid sleep 1000 </dev/null >/dev/null 2>&1" },
            UseShellExecute = false,
        };
        var unshare = Process.Start(start) ?? throw new InvalidOperationException("could not start unshare");
        try
        {
            return new NamespacedSleep(unshare, await FindSleepAsync(unshare.Id, cancellationToken));
        }
        catch
        {
            unshare.Kill(entireProcessTree: true);
            unshare.Dispose();
            throw;
        }
    }

    /// <summary>Waits until unshare exits, which it does once its child (the sleep) is gone.</summary>
    public async Task<bool> WaitForUnshareExitAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ExitTimeout);
        try
        {
            await _unshare.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    // SIGKILL: the sleep is a PID namespace init, which ignores SIGTERM.
    public void Dispose()
    {
        if (!_unshare.HasExited)
            _unshare.Kill(entireProcessTree: true);
        _unshare.WaitForExit(ExitTimeout);
        _unshare.Dispose();
    }

    // unshare --fork's child runs setsid, which execs sleep in place (the child is not a group leader).
    private static async Task<int> FindSleepAsync(int unsharePid, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (ChildOf(unsharePid) is { } child && Comm(child) == "sleep")
                return child;
            await Task.Delay(10, cancellationToken);
        }
        throw new TimeoutException($"no sleep under unshare (pid {unsharePid}) after {StartTimeout.TotalSeconds} s");
    }

    private static int? ChildOf(int pid)
    {
        var text = ReadProc($"/proc/{pid}/task/{pid}/children");
        return int.TryParse(text?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), out var child) ? child : null;
    }

    private static string? Comm(int pid) => ReadProc($"/proc/{pid}/comm")?.Trim();

    private static string? ReadProc(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the process is not there (yet, or any more)
        }
    }
}
