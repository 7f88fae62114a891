using System.Diagnostics;

namespace Phaul.Cli.Tests.Scripts;

/// <summary>
/// The zdtm corpus runner's helpers (scripts/zdtm/lib.sh) under <c>set -euo pipefail</c>, as the runner sources them.
/// </summary>
public sealed class ZdtmLibTests
{
    private static readonly string Lib = Path.Combine(AppContext.BaseDirectory, "Scripts", "zdtm-lib.sh");

    // The failure handled: a process reaped between alive's open of /proc/PID/status and its read makes the read
    // fail with ESRCH and assign nothing; alive then read an unset variable and set -u ended the whole runner,
    // silently (poll_until hid the polled command's stderr). It ended two of five corpus runs part-way.
    [Fact]
    public async Task Gone_is_true_for_a_process_killed_while_polled_and_never_ends_the_shell()
    {
        const string script = """
            for round in $(seq 300); do
                sleep 100 & pid=$!
                alive "$pid" || { echo "not alive while running: $pid"; exit 3; }
                kill -KILL "$pid"
                poll_until 10 "sleep to end" gone "$pid"
                wait "$pid" 2>/dev/null || true
                alive "$pid" && { echo "alive after its end: $pid"; exit 3; }
            done
            echo "rounds: $round"
            """;

        var (exitCode, output, errors) = await RunWithLibAsync(script);

        Assert.True(exitCode == 0, $"exit {exitCode}; stdout: {output}; stderr: {errors}");
        Assert.Contains("rounds: 300", output, StringComparison.Ordinal);
    }

    // A fatal shell error inside a polled function must reach the log, not end the runner without a word.
    [Fact]
    public async Task Poll_until_leaves_a_polled_function_s_fatal_error_visible()
    {
        const string script = """
            broken() { [[ -n $never_set ]]; }
            poll_until 10 "a broken check" broken
            echo "not reached"
            """;

        var (exitCode, output, errors) = await RunWithLibAsync(script);

        Assert.NotEqual(0, exitCode);
        Assert.DoesNotContain("not reached", output, StringComparison.Ordinal);
        Assert.Contains("never_set: unbound variable", errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunWithLibAsync(string script)
    {
        // lib.sh reads the namespace names when sourced; these tests need no namespace.
        var prologue = $"set -euo pipefail\nSRC_NS=unused DST_NS=unused\nsource '{Lib}'\n";
        var start = new ProcessStartInfo("bash", ["-c", prologue + script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bash = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = bash.StandardOutput.ReadToEndAsync(deadline.Token);
        var errors = bash.StandardError.ReadToEndAsync(deadline.Token);
        await bash.WaitForExitAsync(deadline.Token);
        return (bash.ExitCode, await output, await errors);
    }
}
