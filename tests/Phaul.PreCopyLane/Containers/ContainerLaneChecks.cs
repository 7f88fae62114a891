using Phaul.Containers;
using static Phaul.PreCopyLane.Figures;

namespace Phaul.PreCopyLane.Containers;

/// <summary>The verdicts on a container scenario: the rounds ran with the container running, and it moved whole.</summary>
internal static class ContainerLaneChecks
{
    /// <summary>The final images may hold at most this share of the ballast: the rest must have come from the pre-dumps.</summary>
    private const double FinalShareLimit = 0.25;

    public static IReadOnlyList<LaneCheck> Evaluate(ContainerScenarioResult result)
    {
        if (result.Failure is { } failure)
            return [new LaneCheck("the migration completed", false, $"{failure.GetType().Name}: {failure.Message}")];
        var scenario = result.Scenario;
        if (scenario.CutLinkAt is not null)
            return EvaluateCut(result);
        var report = result.Report!;
        var checks = new List<LaneCheck>
        {
            new("the strategy asked for ran", report.Strategy == scenario.Strategy, $"strategy {report.Strategy}"),
            new($"exactly {scenario.PreDumps} pre-dumps", report.PreDumps == scenario.PreDumps, $"{report.PreDumps} pre-dumps"),
            new("the pre-dumps carried the shell's ballast while the container ran", report.PreDumpBytes >= scenario.BallastBytes,
                $"{Size(report.PreDumpBytes)} in pre-dumps, ballast {scenario.BallastMiB} MiB"),
            new("the final images hold <= 25 % of the ballast (the rest is in their parents)",
                report.ImageBytes <= scenario.BallastBytes * FinalShareLimit,
                $"{Size(report.ImageBytes)} in {report.ImageFiles} files"),
            new("runc at the destination runs it", report.DestinationPid > 0 && result.AtDestination is { Status: ContainerStatus.Running } there && there.Pid == report.DestinationPid,
                $"{result.AtDestination?.Status.ToString() ?? "no container"}, pid {result.AtDestination?.Pid} (report: {report.DestinationPid})"),
            new("runc at the source no longer has it", result.AtSource is null, result.AtSource?.Status.ToString() ?? "no container"),
            new("the counter went on from the source's (kept in the shell's memory)", result.CounterAfter > result.CounterBefore,
                $"before the migration {Count(result.CounterBefore)}, at the destination {Count(result.CounterAfter)}"),
            new("the ballast came through intact, as the restored shell read it", result.Ballast == (scenario.BallastBytes, true),
                result.Ballast is var (length, intact) ? $"{Count(length)} bytes, {(intact ? "all as written" : "some changed")}" : "not read"),
            new("the destination removed the pre-dumps' images", result.PreDumpsRemoved, result.PreDumpsRemoved ? "removed" : "still there"),
        };
        if (scenario.Strategy == MigrationStrategy.Hybrid)
            checks.Add(new("the rest of the memory followed the running container", report.MemoryFollowed > TimeSpan.Zero,
                           $"followed in {Milliseconds(report.MemoryFollowed)} ms"));
        return checks;
    }

    /// <summary>A link cut during the pre-dumps: the migration fails before anything is done to the container, which runs on.</summary>
    private static List<LaneCheck> EvaluateCut(ContainerScenarioResult result)
    {
        var scenario = result.Scenario;
        var message = result.MigrationError?.Message ?? "";
        return
        [
            new("the cut link failed the migration during pre-dump 1, the container never paused",
                message.Contains("pre-dump 1 failed", StringComparison.Ordinal) && message.Contains("runs on here", StringComparison.Ordinal),
                result.MigrationError is { } error ? $"{error.GetType().Name}: {error.Message}" : "it moved"),
            new("runc at the source runs it", result.AtSource is { Status: ContainerStatus.Running },
                result.AtSource?.Status.ToString() ?? "no container"),
            new("runc at the destination does not have it", result.AtDestination is null, result.AtDestination?.Status.ToString() ?? "no container"),
            new("its counter went on at the source", result.CounterAfter > result.CounterBefore,
                $"before the migration {Count(result.CounterBefore)}, after {Count(result.CounterAfter)}"),
            new("its ballast is intact", result.Ballast == (scenario.BallastBytes, true),
                result.Ballast is var (length, intact) ? $"{Count(length)} bytes, {(intact ? "all as written" : "some changed")}" : "not read"),
            new("the destination removed its bundle and pre-dumps", result.DestinationBundleRemoved,
                result.DestinationBundleRemoved ? "removed" : "still there"),
        ];
    }
}
