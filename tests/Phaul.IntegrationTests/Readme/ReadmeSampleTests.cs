using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Phaul.IntegrationTests.Readme;

/// <summary>
/// README's in-process migration sample works as written: its code block is the program
/// samples/InProcessMigration, and that program migrates a real workload.
/// </summary>
public sealed partial class ReadmeSampleTests : IDisposable
{
    private const string SampleHeading = "### A client and a server in one process";
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan SampleRunTime = TimeSpan.FromSeconds(60);

    // The sample's temp directory (TMPDIR): its working directories and socket, removed afterwards.
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("phaul-it-readme-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void ReadmeCodeBlock_IsTheSampleProgram()
    {
        var readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readme", "README.md"));
        var program = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Readme", "InProcessMigration.cs"));

        var section = readme.IndexOf(SampleHeading, StringComparison.Ordinal);
        Assert.True(section >= 0, $"README has no section '{SampleHeading}'");
        var block = CSharpBlock().Match(readme, section);
        Assert.True(block.Success, "the README section has no ```csharp block");
        Assert.Equal(Normalize(program), Normalize(block.Groups["code"].Value));
    }

    [Fact(Timeout = 120_000)]
    public async Task SampleProgram_MigratesAWorkload_AndPrintsItsNewPidAndReport()
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 32, cancellationToken: Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(20, Progress, Ct);

        var (exitCode, output, errors) = await RunSampleAsync(sourcePid);
        var summary = SummaryLine().Match(output);
        if (summary.Success)
            workload.AdoptRestored(int.Parse(summary.Groups["restored"].Value, System.Globalization.CultureInfo.InvariantCulture));
        var report = summary.Success ? MigrationReport.FromJson(output[(summary.Index + summary.Length)..]) : null;
        var after = await workload.WaitForProgressAsync(50, Progress, Ct);

        Assert.True(exitCode == 0, $"the sample exited with {exitCode}: {errors}");
        Assert.True(summary.Success, $"the sample printed no summary line: {output}");
        Assert.NotNull(report);
        Assert.Equal(sourcePid, report.Pid);
        Assert.Equal(workload.Pid, report.RestoredPid);
        Assert.NotEqual(sourcePid, workload.Pid);
        Assert.Equal(report.Strategy.ToString(), summary.Groups["strategy"].Value);
        Assert.True(after.Counter >= before.Counter + 50);
        Assert.Equal(0, after.BadWords);
    }

    private async Task<(int ExitCode, string Output, string Errors)> RunSampleAsync(int pid)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "InProcessMigration"), [pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["TMPDIR"] = _temp.FullName },
        };
        using var sample = Process.Start(start) ?? throw new InvalidOperationException("could not start the sample");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(SampleRunTime);
        var output = sample.StandardOutput.ReadToEndAsync(deadline.Token);
        var errors = sample.StandardError.ReadToEndAsync(deadline.Token);
        try
        {
            await sample.WaitForExitAsync(deadline.Token);
            return (sample.ExitCode, await output, await errors);
        }
        catch (OperationCanceledException)
        {
            sample.Kill(entireProcessTree: true);
            throw;
        }
    }

    private static string Normalize(string code) => code.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^(?<strategy>\w+) \(\w+\): pid \d+ now runs as (?<restored>\d+)$", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();

    public void Dispose() => _temp.Delete(recursive: true);
}
