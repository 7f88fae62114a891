namespace Phaul;

/// <summary>
/// What a page server's log says about how it ended. The page server is forked by CRIU, not by us, so
/// its exit status is out of reach; its log is not: a page server that served its session to the end
/// logs "Session over", and one that failed logs CRIU's "Error (file:line): ..." lines.
/// </summary>
internal sealed record PageServerOutcome(bool Succeeded, string? Error, IReadOnlyList<string> Tail)
{
    /// <summary>The lowest CRIU log level at which a page server logs the line that ends its session (info).</summary>
    public const int LowestLogLevel = 3;

    private const int TailLines = 20;

    // CRIU logs this on every run when the process lacks CAP_SYS_RESOURCE; it does not fail anything.
    private const string HarmlessRlimitError = "RLIMIT_NOFILE";

    public static async Task<PageServerOutcome> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            return new PageServerOutcome(false, $"its log '{path}' does not exist", []);
        var tail = new Queue<string>(TailLines);
        string? firstError = null;
        var sessionOver = false;
        await foreach (var line in File.ReadLinesAsync(path, cancellationToken).ConfigureAwait(false))
        {
            if (line.Contains("Error (", StringComparison.Ordinal) && !line.Contains(HarmlessRlimitError, StringComparison.Ordinal))
                firstError ??= line.Trim();
            sessionOver |= line.Contains("Session over", StringComparison.Ordinal);
            if (tail.Count == TailLines)
                tail.Dequeue();
            tail.Enqueue(line);
        }
        var error = firstError ?? (sessionOver ? null : "its log does not end the session ('Session over' missing): it was killed or crashed");
        return new PageServerOutcome(error is null, error, [.. tail]);
    }
}
