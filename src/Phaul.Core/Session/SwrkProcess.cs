using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>
/// A <c>criu swrk</c> child: spawned with its socket on fd 3 and the caller's fds on 4, 5, ...,
/// its stdout and stderr in an anonymous memory file (not a pipe: a page server CRIU forks
/// inherits them and outlives swrk, so nobody could wait for a pipe's end), reaped with waitpid
/// because it is not a System.Diagnostics.Process child.
/// </summary>
internal sealed class SwrkProcess : ISwrkProcess
{
    /// <summary>The fd number of the swrk socket in CRIU.</summary>
    public const int SocketFd = ChildSpawner.FirstExtraFd;

    /// <summary>The fd number in CRIU of the first caller fd.</summary>
    public const int FirstCallerFd = SocketFd + 1;

    private readonly Lock _lock = new();
    private readonly SafeFileHandle _output;
    private readonly PidFd? _pidFd;
    private WaitStatus? _status;

    private SwrkProcess(int pid, SafeFileHandle output)
    {
        Pid = pid;
        _output = output;
        _pidFd = OpenPidFd(pid);
    }

    public int Pid { get; }

    /// <summary>Starts <c>criu swrk 3</c>.</summary>
    /// <param name="criuPath">CRIU's binary.</param>
    /// <param name="socket">The server end of the swrk socket; the caller closes its copy afterwards.</param>
    /// <param name="callerFds">Fds that must exist in CRIU, in order, from <see cref="FirstCallerFd"/> up.</param>
    public static SwrkProcess Start(string criuPath, SafeFdHandle socket, IReadOnlyList<int> callerFds)
    {
        var output = OpenOutput();
        try
        {
            var added = false;
            socket.DangerousAddRef(ref added);
            try
            {
                var pid = ChildSpawner.Spawn(criuPath, ["swrk", SocketFd.ToString(System.Globalization.CultureInfo.InvariantCulture)],
                                             (int)output.DangerousGetHandle(), [socket.Fd, .. callerFds]);
                return new SwrkProcess(pid, output);
            }
            finally
            {
                if (added)
                    socket.DangerousRelease();
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    public void Kill()
    {
        lock (_lock)
        {
            // Until we reap it the pid cannot be reused, so this never hits another process.
            if (_status is null)
                Interop.Kill(Pid, Interop.SIGKILL);
        }
    }

    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (_pidFd is null)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            while (!await _pidFd.WaitForExitAsync(TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false))
            {
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed means killed and reaped.
        }
    }

    public async Task<string> EndAsync(TimeSpan grace)
    {
        if (_pidFd is not null)
            await _pidFd.WaitForExitAsync(grace, CancellationToken.None).ConfigureAwait(false);
        Kill();
        return Reap().ToString();
    }

    public IReadOnlyList<string> OutputTail(int lines) => _output.IsClosed ? [] : TextTail.Read(_output, lines);

    public void Dispose()
    {
        Kill();
        Reap();
        _pidFd?.Dispose();
        _output.Dispose();
    }

    private unsafe WaitStatus Reap()
    {
        lock (_lock)
        {
            while (_status is null)
            {
                int raw;
                if (Interop.Waitpid(Pid, &raw, 0) == Pid)
                {
                    _status = new WaitStatus(raw);
                    break;
                }
                var error = NativeCallException.FromLastError("waitpid", $"criu swrk {Pid}");
                if (error.Errno != Interop.Errno.EINTR)
                    throw error;
            }
            return _status.Value;
        }
    }

    // Our unreaped child cannot vanish; without pidfds (Linux < 5.3) its death shows only as EOF on its socket.
    private static PidFd? OpenPidFd(int pid)
    {
        try
        {
            return PidFd.TryOpen(pid);
        }
        catch (NativeCallException)
        {
            return null;
        }
    }

    private static SafeFileHandle OpenOutput()
    {
        var fd = Interop.MemfdCreate("criu-swrk-output", Interop.MFD_CLOEXEC);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw NativeCallException.FromLastError("memfd_create");
    }
}
