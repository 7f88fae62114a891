using System.Diagnostics;
using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>When and on what the benchmark ran, for the Markdown table and the plot's title: figures mean little without it.</summary>
internal sealed record RunConditions(DateOnly Date, int Cpus, string CriuVersion)
{
    /// <summary>Today, this machine's CPU count, and the version <c>criu --version</c> reports.</summary>
    public static async Task<RunConditions> ReadAsync(string criuPath, CancellationToken cancellationToken)
    {
        using var criu = Process.Start(new ProcessStartInfo(criuPath, ["--version"]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"could not start {criuPath}");
        var output = await criu.StandardOutput.ReadToEndAsync(cancellationToken);
        await criu.WaitForExitAsync(cancellationToken);
        // "Version: 4.2.1", then a GitID line on builds from git.
        var version = output.Split('\n').FirstOrDefault(line => line.StartsWith("Version:", StringComparison.Ordinal))?["Version:".Length..].Trim();
        return new RunConditions(DateOnly.FromDateTime(DateTime.Now), Environment.ProcessorCount, version ?? "of unknown version");
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Date:yyyy-MM-dd}, {Cpus} CPUs, CRIU {CriuVersion}");
}
