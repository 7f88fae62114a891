namespace Phaul;

/// <summary>
/// CRIU's lazy-pages daemon (<c>criu lazy-pages</c>, which serves a post-copy restore its memory) failed:
/// it did not start, exited with an error, or did not finish in time. Carries the end of its log.
/// </summary>
internal sealed class LazyPagesDaemonException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="logTail">The last lines of the daemon's log (and of its output when the log says nothing).</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public LazyPagesDaemonException(string message, IReadOnlyList<string>? logTail = null, Exception? innerException = null)
        : base(Compose(message, logTail), innerException)
    {
        LogTail = logTail ?? [];
    }

    /// <summary>Creates the exception, leading with the cause found in the daemon's whole log when there is one.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="logTail">The last lines of the daemon's log (or of its output).</param>
    /// <param name="log">What the daemon's log says.</param>
    public LazyPagesDaemonException(string message, IReadOnlyList<string> logTail, CriuFailureDetails log)
        : base(log.Cause is null ? Compose(message, logTail) : CriuFailureText.Compose("CRIU lazy-pages", message, log))
    {
        LogTail = logTail;
    }

    /// <summary>The last lines of the daemon's log; empty when there was none.</summary>
    public IReadOnlyList<string> LogTail { get; }

    private static string Compose(string message, IReadOnlyList<string>? logTail) =>
        logTail is { Count: > 0 }
            ? $"CRIU lazy-pages: {message}{Environment.NewLine}Log tail:{Environment.NewLine}{string.Join(Environment.NewLine, logTail)}"
            : $"CRIU lazy-pages: {message}";
}
