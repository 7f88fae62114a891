namespace Phaul;

/// <summary>
/// A pipe whose write end a child gets (e.g. CRIU's <c>--status-fd</c>) and writes one byte to once it is
/// ready; its death before that shows as end-of-file. Both ends are close-on-exec in this process.
/// </summary>
internal sealed class ReadinessPipe : IDisposable
{
    private readonly SafeFdHandle _read;
    private SafeFdHandle? _write;

    private ReadinessPipe(SafeFdHandle read, SafeFdHandle write)
    {
        _read = read;
        _write = write;
    }

    /// <summary>What the child did first.</summary>
    public enum Signal
    {
        /// <summary>It wrote: ready.</summary>
        Ready,

        /// <summary>Every copy of the write end closed without a byte: it died (or closed it).</summary>
        Closed,

        /// <summary>Neither happened in time.</summary>
        TimedOut,
    }

    /// <summary>The write end's fd, to hand to the child; valid until <see cref="CloseWriteEnd"/>.</summary>
    public int WriteFd => (_write ?? throw new ObjectDisposedException(nameof(ReadinessPipe), "the write end is closed")).Fd;

    public static unsafe ReadinessPipe Create()
    {
        var fds = stackalloc int[2];
        if (Interop.Pipe2(fds, Interop.O_CLOEXEC) != 0)
            throw NativeCallException.FromLastError("pipe2", "readiness pipe");
        return new ReadinessPipe(new SafeFdHandle(fds[0]), new SafeFdHandle(fds[1]));
    }

    /// <summary>Closes this process's copy of the write end (after the child got its own), so its death reads as end-of-file.</summary>
    public void CloseWriteEnd()
    {
        _write?.Dispose();
        _write = null;
    }

    /// <summary>Waits for the child's byte or the pipe's end.</summary>
    public async Task<Signal> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!await FdReadiness.WaitAsync(_read, "readiness pipe", timeout, cancellationToken).ConfigureAwait(false))
            return Signal.TimedOut;
        return ReadOneByte() > 0 ? Signal.Ready : Signal.Closed;
    }

    private unsafe nint ReadOneByte()
    {
        var added = false;
        try
        {
            _read.DangerousAddRef(ref added);
            byte value;
            while (true)
            {
                var read = Interop.Read(_read.Fd, &value, 1);
                if (read >= 0)
                    return read;
                var error = NativeCallException.FromLastError("read", "readiness pipe");
                if (error.Errno != Interop.Errno.EINTR)
                    throw error;
            }
        }
        finally
        {
            if (added)
                _read.DangerousRelease();
        }
    }

    public void Dispose()
    {
        CloseWriteEnd();
        _read.Dispose();
    }
}
