using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// A page server CRIU forked for one iteration (PAGE_SERVER_CHLD). It is not our child, so it is
/// watched through a pidfd, judged by its log, and killed if it has to go early.
/// </summary>
internal sealed class PageServerProcess : IDisposable
{
    private readonly string _logPath;
    private readonly PidFd? _pidFd;
    private readonly ILogger _logger;
    private bool _succeeded;

    private PageServerProcess(int iteration, int pid, string logPath, PidFd? pidFd, ILogger logger)
    {
        Iteration = iteration;
        Pid = pid;
        _logPath = logPath;
        _pidFd = pidFd;
        _logger = logger;
    }

    public int Iteration { get; }

    public int Pid { get; }

    public static PageServerProcess Watch(int iteration, int pid, string logPath, ILogger logger)
    {
        if (pid <= 0)
            throw new CriuException(CriuReqType.PageServerChld, $"CRIU reported page server pid {pid} for iteration {iteration}.");
        // A pidfd opened after the process exited fails with ESRCH (null): then only its log is left to judge.
        return new PageServerProcess(iteration, pid, logPath, PidFd.TryOpen(pid), logger);
    }

    /// <summary>
    /// Waits for the page server to exit, then checks its log. Kills it when <paramref name="timeout"/>
    /// passes or the wait is cancelled. Once it succeeded, later calls return at once.
    /// </summary>
    /// <exception cref="CriuException">It failed or did not exit in time; carries its log tail.</exception>
    public async Task WaitForSuccessAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_succeeded)
            return;
        if (_pidFd is not null && !await WaitForExitOrKillAsync(_pidFd, timeout, cancellationToken).ConfigureAwait(false))
        {
            var log = await PageServerOutcome.ReadAsync(_logPath, CancellationToken.None).ConfigureAwait(false);
            throw new CriuException(CriuReqType.PageServerChld,
                                    $"page server pid {Pid} of iteration {Iteration} did not finish within {timeout}; killed it.",
                                    CriuFailureDetails.FromLogFile(_logPath, log.Tail));
        }
        var verdict = await PageServerOutcome.ReadAsync(_logPath, cancellationToken).ConfigureAwait(false);
        if (!verdict.Succeeded)
        {
            _logger.PageServerFailed(Iteration, Pid, verdict.Error!);
            throw new CriuException(CriuReqType.PageServerChld,
                                    $"page server pid {Pid} of iteration {Iteration} failed: {verdict.Error}",
                                    CriuFailureDetails.FromLogFile(_logPath, verdict.Tail));
        }
        _succeeded = true;
        _logger.PageServerFinished(Iteration, Pid);
    }

    private async Task<bool> WaitForExitOrKillAsync(PidFd pidFd, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            if (await pidFd.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false))
                return true;
        }
        catch (OperationCanceledException)
        {
            Kill("the wait for it was cancelled");
            throw;
        }
        Kill($"still running after {timeout}");
        return false;
    }

    /// <summary>
    /// Waits, without a deadline and without killing it, until the page server exits; returns why it failed, or
    /// null when it succeeded (or cannot be watched).
    /// </summary>
    /// <param name="cancellationToken">Ends the wait only.</param>
    public async Task<CriuException?> WaitForFailureAsync(CancellationToken cancellationToken)
    {
        if (_pidFd is null || !await _pidFd.WaitForExitAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))
            return null;
        var verdict = await PageServerOutcome.ReadAsync(_logPath, cancellationToken).ConfigureAwait(false);
        return verdict.Succeeded
            ? null
            : new CriuException(CriuReqType.PageServerChld, $"page server pid {Pid} of iteration {Iteration} failed: {verdict.Error}",
                                logTail: verdict.Tail);
    }

    /// <summary>Kills the page server if it still runs.</summary>
    public void Kill(string why)
    {
        if (_pidFd?.TryKill() == true)
            _logger.PageServerKilled(Iteration, Pid, why);
    }

    public void Dispose() => _pidFd?.Dispose();
}
