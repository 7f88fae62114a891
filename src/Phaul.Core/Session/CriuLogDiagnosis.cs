using System.Text.RegularExpressions;

namespace Phaul;

/// <summary>What a CRIU log says went wrong: its first real error line, and the fix where one is known.</summary>
/// <param name="FirstError">CRIU's first error line that is not always there (without its timestamp and source location).</param>
/// <param name="Fix">What to change, or <see langword="null"/> when neither CRIU nor Phaul knows.</param>
internal sealed record CriuFailureCause(string FirstError, string? Fix);

/// <summary>
/// Finds the cause of a CRIU failure in its log. CRIU's own <c>cr_errmsg</c> is its first error line, and on hosts
/// without CAP_SYS_RESOURCE that is always the harmless RLIMIT_NOFILE line; the summary lines ("Dumping FAILED.")
/// come last and say nothing. The first error line that is neither is the cause.
/// </summary>
internal static partial class CriuLogDiagnosis
{
    // Lines CRIU logs as errors on runs that succeed (found by running real dumps and restores on the project's hosts).
    private static readonly string[] Benign =
    [
        "rlimit: Can't setup RLIMIT_NOFILE for self",
    ];

    // Lines that only report that an earlier error ended the operation.
    private static readonly string[] Summaries =
    [
        "Dumping FAILED", "Pre-dumping FAILED", "Restoring FAILED", "Dump files (pid:", "Dump core (pid:", "Lazy pages transfer FAILED",
    ];

    /// <summary>The cause in <paramref name="lines"/>, or <see langword="null"/> when they hold no real error.</summary>
    public static CriuFailureCause? Diagnose(IEnumerable<string> lines)
    {
        string? summary = null;
        foreach (var line in lines)
        {
            if (ErrorText(line) is not { } error || IsBenign(error))
                continue;
            if (!Summaries.Any(s => error.StartsWith(s, StringComparison.Ordinal)))
                return new CriuFailureCause(error, CriuFixes.For(error));
            summary ??= error;
        }
        // Only a summary: better than nothing when it names a fix (the lazy-pages transfer), else say nothing.
        return summary is not null && CriuFixes.For(summary) is { } fix ? new CriuFailureCause(summary, fix) : null;
    }

    /// <summary>Whether <paramref name="error"/> (an error line's text, or CRIU's <c>cr_errmsg</c>) is one every run logs here.</summary>
    public static bool IsBenign(string error) =>
        Benign.Any(benign => error.Contains(benign, StringComparison.Ordinal));

    /// <summary>The cause in the log file at <paramref name="path"/>; <see langword="null"/> when it holds none or cannot be read.</summary>
    public static CriuFailureCause? DiagnoseFile(string path)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            return Diagnose(ReadLines(reader));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The text of an error line (after "Error (file:line): "), or <see langword="null"/> for any other line.</summary>
    internal static string? ErrorText(string line)
    {
        var match = ErrorLine().Match(line);
        return match.Success ? match.Groups["text"].Value.Trim() : null;
    }

    private static IEnumerable<string> ReadLines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
            yield return line;
    }

    // "(00.162826) Error (criu/sk-inet.c:200): inet: ..." and, from a restore's child, "(00.179108)  29197: Error (...): ...".
    [GeneratedRegex(@"^\s*(?:\(\s*[\d.]+\)\s*)?(?:\d+:\s*)?Error\s+\((?<where>[^)]*)\):\s?(?<text>.*)$")]
    private static partial Regex ErrorLine();
}
