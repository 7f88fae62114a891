using System.Text.RegularExpressions;
using Phaul.Cli.Tests.Support;
using Phaul.Transport;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary><c>phaul demo</c> (the README's first command runs it) and the CLI's handling of SIGINT and SIGTERM, as processes.</summary>
[Collection(typeof(EndToEnd))]
public partial class DemoAndSignalTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_demo_migrates_its_workload_shows_it_continuing_and_exits_0()
    {
        CriuTestEnvironment.RequireCriu();
        var demoDirectories = DemoDirectories();
        await using var demo = PhaulProcess.Start(null, "demo", "--memory", "16");

        var exitCode = await demo.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul demo exited {exitCode}{Environment.NewLine}{demo.Transcript}");
        var sourcePid = WorkloadPid(demo.Stdout);
        Assert.Matches($@"The workload continues as pid \d+ \(was {sourcePid}\): counter [\d,]+ > [\d,]+ before the migration, its memory intact\.", demo.Stdout);
        Assert.Matches(@"after +pid \d+: counter [\d,]+, [\d,]+ memory words verified, 0 bad", demo.Stdout);
        Assert.Contains("downtime     the workload's longest gap between two turns, by the wall clock:", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("it runs there as pid", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("final dump, the tree stays frozen", demo.Stderr, StringComparison.Ordinal);
        Assert.Equal(demoDirectories, DemoDirectories());
        TestContext.Current.TestOutputHelper?.WriteLine(demo.Transcript);
    }

    [Fact]
    public async Task The_demo_interrupted_mid_migration_stops_its_workload_and_removes_its_files()
    {
        // Failure handled: Ctrl-C while the tree is frozen in the final dump.
        CriuTestEnvironment.RequireCriu();
        var demoDirectories = DemoDirectories();
        await using var demo = PhaulProcess.Start(null, "demo", "--memory", "64");
        await demo.WaitForStderrAsync(line => line.Contains("final dump", StringComparison.Ordinal), Patience, "the demo's final dump");
        var sourcePid = WorkloadPid(demo.Stdout);

        // A process started with SIGINT ignored (a shell's background job) keeps ignoring it; SIGTERM takes the same path.
        demo.Signal(demo.IgnoresInterrupt() ? "TERM" : "INT");
        var exitCode = await demo.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Interrupted, $"phaul demo exited {exitCode}{Environment.NewLine}{demo.Transcript}");
        Assert.Contains("phaul demo: cancelled; stopping the workload and removing its files", demo.Stderr, StringComparison.Ordinal);
        await Poll.UntilAsync(() => IsGone(sourcePid) ? "gone" : null, Patience, $"workload {sourcePid} to be gone", TestContext.Current.CancellationToken);
        Assert.Equal(demoDirectories, DemoDirectories());
    }

    [Fact]
    public async Task Serve_stops_on_SIGTERM_and_exits_0()
    {
        using var dir = new TempDirectory();
        PreSharedKey.GenerateFile(dir.File("key"));
        await using var serve = PhaulProcess.Start(null, "serve", "--listen", "127.0.0.1:0", "--wdir", dir.File("w"), "--key-file", dir.File("key"));
        await serve.WaitForStdoutAsync(line => line.StartsWith("phaul serve: listening on 127.0.0.1:", StringComparison.Ordinal), Patience, "serve to listen");

        serve.Signal("TERM");

        Assert.Equal(0, await serve.WaitForExitAsync(Patience));
        Assert.Contains("phaul serve: stopping", serve.Stdout, StringComparison.Ordinal);
    }

    private static int WorkloadPid(string stdout) => int.Parse(WorkloadLine().Match(stdout).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    private static string[] DemoDirectories() =>
        [.. Directory.GetDirectories(Path.GetTempPath(), "phaul-demo-*").Order(StringComparer.Ordinal)];

    // Gone, or a zombie waiting for a late reaper.
    private static bool IsGone(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return true;
        }
    }

    [GeneratedRegex(@"^workload +pid (\d+):", RegexOptions.Multiline)]
    private static partial Regex WorkloadLine();
}
