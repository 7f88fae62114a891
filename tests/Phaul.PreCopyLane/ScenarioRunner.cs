using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Phaul.DemoWorkload;
using Phaul.Transport;

namespace Phaul.PreCopyLane;

/// <summary>
/// Runs one scenario for real: starts its workload, migrates it with <see cref="PhaulClient"/> and
/// <see cref="PhaulServer"/> in this process over a connected socket pair (<see cref="InProcessLocal"/>), or
/// through Phaul.Transport on loopback (<see cref="LaneScenario.OverTransport"/>), then follows the restored tree until it has verified all of its memory again.
/// </summary>
internal sealed class ScenarioRunner(ILoggerFactory loggerFactory, LaneResults results, TimeSpan scenarioTimeout)
{
    private static readonly TimeSpan WorkloadTimeout = TimeSpan.FromSeconds(90);

    public async Task<(ScenarioResult Result, IReadOnlyList<LaneCheck> Checks)> RunAsync(
        LaneScenario scenario, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = new ScenarioDeadline(scenarioTimeout, cancellationToken);
        using var source = new ScratchDirectory("phaul-lane-source-");
        using var destination = new ScratchDirectory("phaul-lane-destination-");
        ScenarioResult result;
        try
        {
            result = await MigrateAndFollowAsync(scenario, source.Path, destination.Path, deadline.Token).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever failed this scenario is reported as its failed check; the lane goes on.
        catch (Exception startFailure)
#pragma warning restore CA1031
        {
            result = new ScenarioResult(scenario, 0, null) { Failure = startFailure };
        }
        result = result with
        {
            Failure = result.Failure is { } failure ? deadline.Explain(failure) : null,
            WallTime = Stopwatch.GetElapsedTime(started),
        };
        var checks = LaneChecks.Evaluate(result);
        results.Save(scenario.Name, result.Report?.ToJson(), checks, source.Path, destination.Path);
        return (result, checks);
    }

    private async Task<ScenarioResult> MigrateAndFollowAsync(LaneScenario scenario, string sourceWdir, string destinationWdir,
                                                             CancellationToken cancellationToken)
    {
        using var workload = await scenario.Workload.StartAsync(cancellationToken).ConfigureAwait(false);
        var before = await workload.WaitForProgressAsync(10, WorkloadTimeout, cancellationToken).ConfigureAwait(false);
        var result = new ScenarioResult(scenario, workload.Pid, before);
        try
        {
            var report = await MigrateAsync(scenario, workload.Pid, sourceWdir, destinationWdir, cancellationToken)
                .ConfigureAwait(false);
            return await FollowRestoredAsync(result with { Report = report }, workload, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Reported as the scenario's failure, with what was measured so far.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            return result with { Failure = failure };
        }
    }

    private async Task<MigrationReport> MigrateAsync(LaneScenario scenario, int pid, string sourceWdir, string destinationWdir,
                                                     CancellationToken cancellationToken)
    {
        if (scenario.OverTransport)
            return await MigrateOverTransportAsync(scenario, pid, sourceWdir, destinationWdir, cancellationToken).ConfigureAwait(false);
        using var sockets = MemorySocketPair.Connect();
        using var server = PhaulServer.MakePhaulServer(
            new PhaulConfig { Memfd = (int)sockets.Destination.Handle, Wdir = destinationWdir }, null, loggerFactory);
        IPhaulRemote remote = scenario.Pauses.Count > 0 ? new SlowDestination(server, scenario.Pauses) : server;
        var client = PhaulClient.MakePhaulClient(
            new InProcessLocal(server, loggerFactory), remote,
            new PhaulConfig { Pid = pid, Memfd = (int)sockets.Source.Handle, Wdir = sourceWdir },
            ClientOptions(scenario), loggerFactory);
        return await client.MigrateAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<MigrationReport> MigrateOverTransportAsync(LaneScenario scenario, int pid, string sourceWdir, string destinationWdir,
                                                                  CancellationToken cancellationToken)
    {
        var key = PreSharedKey.Generate();
        var listener = MigrationListener.Start(
            new MigrationListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = destinationWdir, Key = key, HandshakeTimeout = EmulatedTimeouts.Handshake },
            loggerFactory);
        await using (listener.ConfigureAwait(false))
        {
            var connection = await MigrationConnection.ConnectAsync(listener.LocalEndPoint, key, new MigrationConnectionOptions { HandshakeTimeout = EmulatedTimeouts.Handshake },
                                                                    loggerFactory, cancellationToken)
                                                      .ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var client = PhaulClient.MakePhaulClient(connection.Local, connection.Remote,
                    new PhaulConfig { Pid = pid, Memfd = connection.Memfd, Wdir = sourceWdir }, ClientOptions(scenario), loggerFactory);
                return await client.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static PhaulClientOptions ClientOptions(LaneScenario scenario) =>
        scenario.StopRules with { Strategy = scenario.Strategy, AllowFallback = false };

    /// <summary>
    /// Adopts the restored root and waits for its first status (the counter must go on from where the
    /// source left it: it lives only in memory) and for a whole pass of verification over its memory.
    /// </summary>
    private static async Task<ScenarioResult> FollowRestoredAsync(ScenarioResult result, Workload workload,
                                                                  CancellationToken cancellationToken)
    {
        var restoredPid = result.Report!.RestoredPid
            ?? throw new InvalidOperationException("The report names no restored pid.");
        workload.AdoptRestored(restoredPid);
        var after = workload.ReadStatus();
        var resumed = await Poll.UntilAsync(() => workload.ReadStatus() is { } s && s.Counter != after.Counter ? s : null,
                                            WorkloadTimeout, $"restored workload {restoredPid} to report again", cancellationToken)
                                .ConfigureAwait(false);
        var verified = await Poll.UntilAsync(
            () => workload.ReadStatus() is { } s && s.VerifiedWords >= resumed.VerifiedWords + s.MemoryWords ? s : null,
            WorkloadTimeout, $"restored workload {restoredPid} to verify all its memory", cancellationToken).ConfigureAwait(false);
        var sourceGone = await SourceGoneAsync(result.SourcePid, restoredPid, cancellationToken).ConfigureAwait(false);
        return result with
        {
            AfterMigration = after,
            Resumed = resumed,
            AfterVerification = verified,
            RestoredRunning = workload.IsRunning,
            SourceGone = sourceGone,
        };
    }

    private static async Task<bool> SourceGoneAsync(int sourcePid, int restoredPid, CancellationToken cancellationToken)
    {
        if (sourcePid == restoredPid)
            return false;
        try
        {
            await Poll.UntilAsync(() => Workload.IsProcessRunning(sourcePid) ? null : "gone", WorkloadTimeout,
                                  $"source pid {sourcePid} to end", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
