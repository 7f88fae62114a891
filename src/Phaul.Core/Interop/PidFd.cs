namespace Phaul;

/// <summary>
/// Watches a process that need not be our child (CRIU's page server is forked by swrk), through
/// a pidfd, so its exit is seen without racing pid reuse.
/// </summary>
internal sealed class PidFd : IDisposable
{
    private readonly SafeFdHandle _handle;

    private PidFd(int pid, SafeFdHandle handle)
    {
        Pid = pid;
        _handle = handle;
    }

    public int Pid { get; }

    /// <summary>Opens a pidfd; <see langword="null"/> when the process is already gone.</summary>
    public static PidFd? TryOpen(int pid)
    {
        var fd = Interop.PidfdOpen(pid, 0);
        if (fd >= 0)
            return new PidFd(pid, new SafeFdHandle(fd));
        var error = NativeCallException.FromLastError("pidfd_open", $"pid {pid}");
        return error.Errno == Interop.Errno.ESRCH ? null : throw error;
    }

    /// <summary>Waits until the process exits; <see langword="false"/> when <paramref name="timeout"/> passed first.</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        FdReadiness.WaitAsync(_handle, $"pidfd of {Pid}", timeout, cancellationToken);

    /// <summary>Kills the process (SIGKILL); <see langword="false"/> when it had already exited.</summary>
    public bool TryKill() => TrySignal(Interop.SIGKILL);

    /// <summary>Sends <paramref name="signal"/> to the process; <see langword="false"/> when it had already exited.</summary>
    public bool TrySignal(int signal)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            if (Interop.PidfdSendSignal(_handle.Fd, signal, IntPtr.Zero, 0) == 0)
                return true;
            var error = NativeCallException.FromLastError("pidfd_send_signal", $"pid {Pid}");
            return error.Errno == Interop.Errno.ESRCH ? false : throw error;
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    public void Dispose() => _handle.Dispose();
}
