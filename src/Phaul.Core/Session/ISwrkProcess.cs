namespace Phaul;

/// <summary>The <c>criu swrk</c> process behind a session; a seam so sessions can be tested against a fake peer.</summary>
internal interface ISwrkProcess : IDisposable
{
    int Pid { get; }

    /// <summary>Kills the process (SIGKILL); a no-op once it has been reaped.</summary>
    void Kill();

    /// <summary>Completes when the process has exited (it is not reaped).</summary>
    Task WaitForExitAsync(CancellationToken cancellationToken);

    /// <summary>Waits up to <paramref name="grace"/> for the process to exit on its own, then kills and reaps it; says how it ended.</summary>
    Task<string> EndAsync(TimeSpan grace);

    /// <summary>The last lines the process wrote to stdout and stderr.</summary>
    IReadOnlyList<string> OutputTail(int lines);
}
