namespace Phaul;

/// <summary>Waits for an fd to become readable (a pidfd: the process exited; a pipe: data or EOF).</summary>
internal static class FdReadiness
{
    // Poll in slices so cancellation and the deadline are noticed without a second fd.
    private const int PollSliceMilliseconds = 50;

    /// <summary>
    /// Waits on a thread of its own until <paramref name="handle"/> is readable; <see langword="false"/>
    /// when <paramref name="timeout"/> passed first.
    /// </summary>
    /// <param name="handle">The fd.</param>
    /// <param name="subject">What the fd is, for errors.</param>
    /// <param name="timeout">The longest wait; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
    /// <param name="cancellationToken">Abandons the wait.</param>
    public static Task<bool> WaitAsync(SafeFdHandle handle, string subject, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Wait(handle, subject, timeout, cancellationToken), cancellationToken,
                              TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static bool Wait(SafeFdHandle handle, string subject, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = timeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : Environment.TickCount64 + (long)Math.Min(timeout.TotalMilliseconds, long.MaxValue / 2);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (PollOnce(handle, subject, PollSliceMilliseconds))
                return true;
            if (Environment.TickCount64 >= deadline)
                return false;
        }
    }

    private static unsafe bool PollOnce(SafeFdHandle handle, string subject, int timeoutMilliseconds)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var pollFd = new Interop.PollFd { Fd = handle.Fd, Events = Interop.POLLIN };
            var ready = Interop.Poll(&pollFd, 1, timeoutMilliseconds);
            if (ready < 0)
            {
                var error = NativeCallException.FromLastError("poll", subject);
                return error.Errno == Interop.Errno.EINTR ? false : throw error;
            }
            return ready > 0;
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }
}
