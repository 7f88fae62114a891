using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Phaul.Containers;
using Phaul.DemoWorkload;
using Phaul.Testing;
using Phaul.Transport;

namespace Phaul.PreCopyLane.Containers;

/// <summary>
/// Runs one container scenario for real: two simulated hosts (each its own runc root, bundle directory and cgroup
/// parent; the root file system shared, as storage both hosts mount), a busybox container whose shell holds the
/// ballast, moved by <see cref="ContainerMigration"/> over Phaul.Transport on the guest's loopback with runc's own
/// pre-dumps (or through a <see cref="TamperingRelay"/> that breaks the link); then runc's state on both ends, the
/// counter, and the shell's reading of its whole ballast.
/// </summary>
internal sealed class ContainerScenarioRunner(ILoggerFactory loggerFactory, LaneResults results, TimeSpan scenarioTimeout)
{
    private static readonly TimeSpan ContainerTimeout = TimeSpan.FromSeconds(90);

    public async Task<(ContainerScenarioResult Result, IReadOnlyList<LaneCheck> Checks)> RunAsync(
        ContainerLaneScenario scenario, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new ScenarioDeadline(scenarioTimeout, cancellationToken);
        var source = new RuncHost("lane-source");
        await using var sourceHost = source.ConfigureAwait(false);
        var destination = new RuncHost("lane-destination");
        await using var destinationHost = destination.ConfigureAwait(false);
        ContainerScenarioResult result;
        try
        {
            result = await MigrateAsync(scenario, source, destination, deadline.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed this scenario is reported as its failed check; the lane goes on.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            result = new ContainerScenarioResult(scenario) { Failure = deadline.Explain(failure) };
        }
        result = result with { WallTime = Stopwatch.GetElapsedTime(started) };
        var checks = ContainerLaneChecks.Evaluate(result);
        results.Save(scenario.Name, result.Report is { } report ? JsonSerializer.Serialize(report) : null, checks,
                     source.CreateDirectory("work"), destination.CreateDirectory("wdir"));
        return (result, checks);
    }

    private async Task<ContainerScenarioResult> MigrateAsync(ContainerLaneScenario scenario, RuncHost source, RuncHost destination,
                                                             CancellationToken cancellationToken)
    {
        var id = "phaul-lane-" + Guid.NewGuid().ToString("N")[..8];
        await source.CreateCounterBundleAsync(id, ballastMiB: scenario.BallastMiB).ConfigureAwait(false);
        await source.RunAsync(id).ConfigureAwait(false);
        // The shell fills its ballast before it counts.
        await source.WaitForCounterAboveAsync(id, 2, ContainerTimeout).ConfigureAwait(false);

        var key = PreSharedKey.Generate();
        var listener = MigrationListener.Start(DestinationOptions(destination, key), loggerFactory);
        await using (listener.ConfigureAwait(false))
        {
            var relay = scenario.CutLinkAt is { } offset ? TamperingRelay.Start(listener.LocalEndPoint, connection: 0, toDestination: true, offset: offset) : null;
            try
            {
                return await MigrateThroughAsync(scenario, id, relay?.EndPoint ?? listener.LocalEndPoint, key, source, destination, cancellationToken)
                    .ConfigureAwait(false);
            }
            finally
            {
                if (relay is not null)
                    await relay.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<ContainerScenarioResult> MigrateThroughAsync(ContainerLaneScenario scenario, string id, IPEndPoint destinationEndPoint,
                                                                    PreSharedKey key, RuncHost source, RuncHost destination,
                                                                    CancellationToken cancellationToken)
    {
        var connection = await MigrationConnection.ConnectAsync(destinationEndPoint, key,
                                                                new MigrationConnectionOptions { HandshakeTimeout = EmulatedTimeouts.Handshake },
                                                                loggerFactory, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var started = new ContainerScenarioResult(scenario) { CounterBefore = source.ReadCounter(id) };
            var migration = new ContainerMigration(connection, source.Runtime, source.CreateDirectory("work"), loggerFactory,
                                                   new ContainerMigrationOptions { Strategy = scenario.Strategy, PreDumps = scenario.PreDumps });
            ContainerMigrationReport report;
            try
            {
                report = await migration.MigrateAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (scenario.CutLinkAt is not null && e is ContainerMigrationException or ContainerRuntimeException)
            {
                var failed = await ObserveAsync(started with { MigrationError = e }, id, source, destination, cancellationToken).ConfigureAwait(false);
                return failed with
                {
                    DestinationBundleRemoved = await RemovedAsync(Path.Combine(destination.BundlesDirectory, id), cancellationToken).ConfigureAwait(false),
                };
            }
            var moved = await ObserveAsync(started with { Report = report }, id, source, destination, cancellationToken).ConfigureAwait(false);
            return moved with
            {
                PreDumpsRemoved = await RemovedAsync(Path.Combine(report.DestinationBundle, "pre-1"), cancellationToken).ConfigureAwait(false),
            };
        }
    }

    private MigrationListenerOptions DestinationOptions(RuncHost destination, PreSharedKey key) =>
        new MigrationListenerOptions
        {
            EndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Wdir = destination.CreateDirectory("wdir"),
            Key = key,
            HandshakeTimeout = EmulatedTimeouts.Handshake,
        }.WithContainers(new ContainerDestinationOptions
        {
            Runtime = new RuncRuntimeOptions { Root = destination.RootPath, CriuPath = RuncTestEnvironment.Criu },
            BundlesDirectory = destination.BundlesDirectory,
            CgroupParent = destination.CgroupParent,
        }, loggerFactory);

    /// <summary>
    /// What the migration left: runc's state on both ends, the first count the shell writes after it (the file, on the
    /// shared root file system, still holds the last count before), and the shell's reading of its ballast.
    /// </summary>
    private static async Task<ContainerScenarioResult> ObserveAsync(ContainerScenarioResult result, string id, RuncHost source,
                                                                    RuncHost destination, CancellationToken cancellationToken)
    {
        var atEnd = source.ReadCounter(id);
        var counterAfter = await Poll.UntilAsync(() => source.ReadCounter(id) is var c && c != atEnd ? c : (long?)null, ContainerTimeout,
                                                 $"container {id} to count again", cancellationToken).ConfigureAwait(false);
        return result with
        {
            CounterAfter = counterAfter,
            AtDestination = await destination.Runtime.GetStateAsync(id, cancellationToken).ConfigureAwait(false),
            AtSource = await source.Runtime.GetStateAsync(id, cancellationToken).ConfigureAwait(false),
            Ballast = await source.CheckBallastAsync(id, ContainerTimeout).ConfigureAwait(false),
        };
    }

    private static async Task<bool> RemovedAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            await Poll.UntilAsync(() => Directory.Exists(directory) ? null : "removed", ContainerTimeout,
                                  $"{directory} to be removed", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
