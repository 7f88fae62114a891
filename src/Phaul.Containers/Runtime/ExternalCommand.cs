using Phaul.FileSystem;

namespace Phaul.Containers;

/// <summary>One run of a program (runc, ip, nsenter): started, waited for within a timeout, its output read back.</summary>
internal static class ExternalCommand
{
    private const int MaxOutputLines = 10_000;

    /// <summary>What the command printed (stdout and stderr, in order) and how it ended.</summary>
    public sealed record Outcome(bool Succeeded, int? ExitCode, string Ending, IReadOnlyList<string> Output);

    /// <summary>Runs <paramref name="binary"/> and waits for it; kills it when the timeout passes or on cancellation.</summary>
    public static async Task<Outcome> RunAsync(string binary, IReadOnlyList<string> arguments, TimeSpan timeout,
                                               CancellationToken cancellationToken)
    {
        using var process = ChildProcess.Start(binary, arguments, [], "phaul-command-output");
        bool exited;
        try
        {
            exited = await process.WaitForExitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
        return OutcomeOf(process, exited, timeout);
    }

    /// <summary>How <paramref name="process"/> ended, reaping it; killed first when it had not <paramref name="exited"/> within <paramref name="timeout"/>.</summary>
    public static Outcome OutcomeOf(ChildProcess process, bool exited, TimeSpan timeout)
    {
        if (!exited)
        {
            process.Kill();
            process.Reap();
            return new Outcome(false, null, $"did not finish within {timeout}; killed it", process.OutputTail(MaxOutputLines));
        }
        var status = process.Reap();
        var succeeded = status.Exited && status.ExitCode == 0;
        return new Outcome(succeeded, status.Exited ? status.ExitCode : null, status.ToString(), process.OutputTail(MaxOutputLines));
    }

    /// <summary>Finds <paramref name="binary"/> on PATH unless it is a path already; null when it is no executable file.</summary>
    // Phaul.FileSystem's lookup is a general one despite its name: a path as given, or a name on PATH, executable.
    public static string? Resolve(string binary) => RsyncProgram.Find(binary);
}
