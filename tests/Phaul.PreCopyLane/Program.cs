using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Phaul.PreCopyLane.Containers;

namespace Phaul.PreCopyLane;

/// <summary>
/// The soft-dirty lane: migrates a memory-dirtying workload with real iterative pre-copy once per stop rule, and a runc
/// container by pre-copy and by hybrid; prints CRIU's per-iteration statistics (the container's rounds) and the checks, and exits non-zero when any check fails.
/// Needs root, CRIU and a kernel with soft-dirty tracking: run it through scripts/vm/precopy-lane.sh.
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: Phaul.PreCopyLane [--results DIR] [--log-level LEVEL] [--scenario-timeout SECONDS] [--list] [SCENARIO]...";

    private static async Task<int> Main(string[] args)
    {
        if (LaneOptions.Parse(args) is not { } options)
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }
        if (options.List)
        {
            foreach (var scenario in Scenarios.All)
                Console.WriteLine($"{scenario.Name}: {scenario.Purpose}");
            return 0;
        }

        using var cancellation = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel(cancellation));
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel(cancellation));
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .SetMinimumLevel(options.LogLevel)
            .AddSimpleConsole(console => console.TimestampFormat = "HH:mm:ss.fff ")
            .AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddFilter("Microsoft", LogLevel.Warning));
        var results = new LaneResults(options.ResultsDirectory);
        var trees = new ScenarioRunner(loggerFactory, results, options.ScenarioTimeout);
        var containers = new ContainerScenarioRunner(loggerFactory, results, options.ScenarioTimeout);

        Console.WriteLine($"precopy lane on {LaneEnvironment.Describe()}");
        int passed = 0, failed = 0;
        foreach (var scenario in options.Selected)
        {
            var checks = scenario switch
            {
                LaneScenario tree => await RunAsync(trees, tree, cancellation.Token).ConfigureAwait(false),
                ContainerLaneScenario container => await RunAsync(containers, container, cancellation.Token).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"no runner for scenario {scenario.Name}"),
            };
            if (checks.All(c => c.Passed))
                passed++;
            else
                failed++;
            if (cancellation.IsCancellationRequested)
                break;
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"precopy lane: {passed} passed, {failed} failed"));
        return failed == 0 && passed == options.Selected.Count ? 0 : 1;
    }

    private static async Task<IReadOnlyList<LaneCheck>> RunAsync(ScenarioRunner runner, LaneScenario scenario, CancellationToken cancellationToken)
    {
        var (result, checks) = await runner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        ReportTable.Print(Console.Out, result, checks);
        return checks;
    }

    private static async Task<IReadOnlyList<LaneCheck>> RunAsync(ContainerScenarioRunner runner, ContainerLaneScenario scenario,
                                                                 CancellationToken cancellationToken)
    {
        var (result, checks) = await runner.RunAsync(scenario, cancellationToken).ConfigureAwait(false);
        ContainerReportTable.Print(Console.Out, result, checks);
        return checks;
    }

    private static Action<PosixSignalContext> Cancel(CancellationTokenSource cancellation) => context =>
    {
        context.Cancel = true;
        cancellation.Cancel();
    };
}
