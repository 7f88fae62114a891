using System.Globalization;

namespace Phaul;

/// <summary>
/// CRIU's lazy-pages daemon for one post-copy restore, as our own child process (no RPC request starts
/// it): <c>criu lazy-pages --page-server --ps-socket 3 --status-fd 4 -D DIR</c>. Fd 3 is the memory
/// socket, over which it asks the source's CRIU for pages; fd 4 is a pipe it writes to once it listens
/// on <c>lazy-pages.socket</c> in DIR for the restore. It exits when every restored process has all
/// of its pages (status 0) or when something broke (non-zero).
/// </summary>
internal sealed class LazyPagesDaemon : IDisposable
{
    /// <summary>The daemon's log file, in its images directory.</summary>
    public const string LogFile = "lazy-pages.log";

    private const int TailLines = 20;

    private readonly ChildProcess _process;
    private readonly ReadinessPipe _status;
    private readonly string _logPath;

    private LazyPagesDaemon(ChildProcess process, ReadinessPipe status, string logPath)
    {
        _process = process;
        _status = status;
        _logPath = logPath;
    }

    public int Pid => _process.Pid;

    /// <summary>Starts the daemon on <paramref name="directory"/>, which must hold the final dump's images.</summary>
    /// <param name="criuPath">CRIU's binary.</param>
    /// <param name="memfd">The connected memory socket to the source's CRIU.</param>
    /// <param name="directory">The images directory, also the daemon's work directory (where its socket lives).</param>
    /// <param name="logLevel">CRIU's log level, 0 to 4; the page statistics need 4.</param>
    public static LazyPagesDaemon Start(string criuPath, int memfd, string directory, int logLevel)
    {
        var status = ReadinessPipe.Create();
        try
        {
            var process = ChildProcess.Start(criuPath,
                ["lazy-pages", "--page-server", "--ps-socket", "3", "--status-fd", "4",
                 "-D", directory, "-o", LogFile, "-v" + logLevel.ToString(CultureInfo.InvariantCulture)],
                [memfd, status.WriteFd], "criu-lazy-pages-output");
            status.CloseWriteEnd();
            var daemon = new LazyPagesDaemon(process, status, Path.Combine(directory, LogFile));
            if (!process.CanSeeExit)
            {
                daemon.Dispose();
                throw new LazyPagesDaemonException("its exit cannot be watched without pidfds (Linux 5.3 or later)");
            }
            return daemon;
        }
        catch
        {
            status.Dispose();
            throw;
        }
    }

    /// <summary>Waits until the daemon listens for the restore; kills it on timeout or cancellation.</summary>
    /// <exception cref="LazyPagesDaemonException">It exited or did not get ready in time.</exception>
    public async Task WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        ReadinessPipe.Signal signal;
        try
        {
            signal = await _status.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw;
        }
        switch (signal)
        {
            case ReadinessPipe.Signal.Ready:
                return;
            case ReadinessPipe.Signal.Closed:
                throw Failure($"pid {Pid} {_process.Reap()} before it was ready");
            default:
                _process.Kill();
                throw Failure($"pid {Pid} was not ready within {timeout}; killed it");
        }
    }

    /// <summary>
    /// Waits until the daemon exits and returns what it moved. Kills it when <paramref name="timeout"/>
    /// passes or the wait is cancelled.
    /// </summary>
    /// <exception cref="LazyPagesDaemonException">It failed or did not finish in time.</exception>
    public async Task<LazyPagesStatistics> WaitForCompletionAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool exited;
        try
        {
            exited = await _process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw;
        }
        if (!exited)
        {
            _process.Kill();
            throw Failure($"pid {Pid} did not move every page within {timeout}; killed it");
        }
        var status = _process.Reap();
        if (!status.Exited || status.ExitCode != 0)
            throw Failure($"pid {Pid} {status}: not every page arrived");
        return await LazyPagesStatisticsReader.ReadAsync(_logPath, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Kills the daemon if it still runs.</summary>
    public void Kill() => _process.Kill();

    private LazyPagesDaemonException Failure(string message)
    {
        var tail = TextTail.TryRead(_logPath, TailLines);
        return new LazyPagesDaemonException(message, tail.Count > 0 ? tail : _process.OutputTail(TailLines),
                                            CriuFailureDetails.FromLogFile(_logPath, tail));
    }

    public void Dispose()
    {
        _process.Dispose();
        _status.Dispose();
    }
}
