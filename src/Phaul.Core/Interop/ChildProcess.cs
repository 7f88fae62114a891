using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>
/// A child process started with exactly the fds named (<see cref="ChildSpawner"/>), its stdout and
/// stderr in an anonymous memory file (not a pipe: a process it forks may inherit them and outlive
/// it, so nobody could wait for a pipe's end), watched through a pidfd, and reaped with waitpid
/// because it is not a System.Diagnostics.Process child.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Lock _lock = new();
    private readonly SafeFileHandle _output;
    private readonly PidFd? _pidFd;
    private WaitStatus? _status;

    private ChildProcess(int pid, SafeFileHandle output)
    {
        Pid = pid;
        _output = output;
        _pidFd = OpenPidFd(pid);
    }

    public int Pid { get; }

    /// <summary>Whether its exit can be seen before it is reaped (pidfds exist: Linux 5.3 and later).</summary>
    public bool CanSeeExit => _pidFd is not null;

    /// <summary>Whether it has been reaped.</summary>
    public bool IsReaped
    {
        get
        {
            lock (_lock)
                return _status is not null;
        }
    }

    /// <summary>Starts <paramref name="path"/> with <paramref name="arguments"/>.</summary>
    /// <param name="path">The program.</param>
    /// <param name="arguments">argv[1..].</param>
    /// <param name="fdsFromThree">Fds of this process that become fd 3, 4, ... in the child.</param>
    /// <param name="outputName">A name for the memory file holding its output (shows in /proc).</param>
    public static ChildProcess Start(string path, IReadOnlyList<string> arguments, IReadOnlyList<int> fdsFromThree,
                                     string outputName)
    {
        var output = OpenOutput(outputName);
        try
        {
            var pid = ChildSpawner.Spawn(path, arguments, (int)output.DangerousGetHandle(), fdsFromThree);
            return new ChildProcess(pid, output);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>Kills it (SIGKILL); a no-op once reaped.</summary>
    public void Kill()
    {
        lock (_lock)
        {
            // Until we reap it the pid cannot be reused, so this never hits another process.
            if (_status is null)
                Interop.Kill(Pid, Interop.SIGKILL);
        }
    }

    /// <summary>
    /// Waits until it has exited (without reaping it); <see langword="false"/> when <paramref name="timeout"/>
    /// passed first, or at once when its exit cannot be seen (<see cref="CanSeeExit"/>).
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_pidFd is null)
            return IsReaped;
        try
        {
            return await _pidFd.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return true; // Disposed means killed and reaped.
        }
    }

    /// <summary>Reaps it, waiting for it to exit; how it ended.</summary>
    public unsafe WaitStatus Reap()
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
                var error = NativeCallException.FromLastError("waitpid", Pid.ToString(CultureInfo.InvariantCulture));
                if (error.Errno != Interop.Errno.EINTR)
                    throw error;
            }
            return _status.Value;
        }
    }

    /// <summary>The last lines it wrote to stdout and stderr.</summary>
    public IReadOnlyList<string> OutputTail(int lines) => _output.IsClosed ? [] : TextTail.Read(_output, lines);

    /// <summary>Kills it if it still runs, reaps it, and closes its fds.</summary>
    public void Dispose()
    {
        Kill();
        Reap();
        _pidFd?.Dispose();
        _output.Dispose();
    }

    // Our unreaped child cannot vanish; without pidfds (Linux < 5.3) its exit shows only when reaped.
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

    private static SafeFileHandle OpenOutput(string name)
    {
        var fd = Interop.MemfdCreate(name, Interop.MFD_CLOEXEC);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw NativeCallException.FromLastError("memfd_create");
    }
}
