using System.Globalization;

namespace Phaul;

/// <summary>
/// A <c>criu swrk</c> child: its socket on fd 3 and the caller's fds on 4, 5, ..., its output in
/// a memory file (a page server CRIU forks inherits it and outlives swrk, so a pipe's end could not
/// be waited for).
/// </summary>
internal sealed class SwrkProcess : ISwrkProcess
{
    /// <summary>The fd number of the swrk socket in CRIU.</summary>
    public const int SocketFd = ChildSpawner.FirstExtraFd;

    /// <summary>The fd number in CRIU of the first caller fd.</summary>
    public const int FirstCallerFd = SocketFd + 1;

    private readonly ChildProcess _child;

    private SwrkProcess(ChildProcess child) => _child = child;

    public int Pid => _child.Pid;

    /// <summary>Starts <c>criu swrk 3</c>.</summary>
    /// <param name="criuPath">CRIU's binary.</param>
    /// <param name="socket">The server end of the swrk socket; the caller closes its copy afterwards.</param>
    /// <param name="callerFds">Fds that must exist in CRIU, in order, from <see cref="FirstCallerFd"/> up.</param>
    public static SwrkProcess Start(string criuPath, SafeFdHandle socket, IReadOnlyList<int> callerFds)
    {
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            return new SwrkProcess(ChildProcess.Start(criuPath, ["swrk", SocketFd.ToString(CultureInfo.InvariantCulture)],
                                                      [socket.Fd, .. callerFds], "criu-swrk-output"));
        }
        finally
        {
            if (added)
                socket.DangerousRelease();
        }
    }

    public void Kill() => _child.Kill();

    public async Task WaitForExitAsync(CancellationToken cancellationToken)
    {
        if (!_child.CanSeeExit)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return;
        }
        while (!await _child.WaitForExitAsync(TimeSpan.FromDays(1), cancellationToken).ConfigureAwait(false))
        {
        }
    }

    public async Task<string> EndAsync(TimeSpan grace)
    {
        await _child.WaitForExitAsync(grace, CancellationToken.None).ConfigureAwait(false);
        _child.Kill();
        return _child.Reap().ToString();
    }

    public IReadOnlyList<string> OutputTail(int lines) => _child.OutputTail(lines);

    public void Dispose() => _child.Dispose();
}
