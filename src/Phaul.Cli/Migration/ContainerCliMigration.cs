using System.Net;
using Microsoft.Extensions.Logging;
using Phaul.Cli.Hosting;
using Phaul.Containers;
using Phaul.Transport;

namespace Phaul.Cli.Migration;

/// <summary>What <c>phaul migrate --container</c> moves where.</summary>
/// <param name="Id">The container, as the runtime here knows it.</param>
/// <param name="Runtime">The runtime here (its binary, state directory, CRIU).</param>
/// <param name="Destination">Where <c>phaul serve --containers</c> listens.</param>
/// <param name="Key">The pre-shared key.</param>
/// <param name="Wdir">An empty directory for the checkpoint's images and CRIU's log.</param>
/// <param name="InsecurePlaintext">Send everything unencrypted; the destination must allow it too.</param>
/// <param name="CopyRootFileSystem">Copy the root file system to the destination instead of expecting it shared.</param>
/// <param name="Strategy">Stop-and-copy, post-copy, pre-copy or hybrid.</param>
/// <param name="PreDumps">How many pre-dumps pre-copy and hybrid run.</param>
/// <param name="HandshakeTimeout">The wait for each connection's handshake; null for the default (10 s).</param>
internal sealed record ContainerMigrationRequest(string Id, RuncRuntimeOptions Runtime, EndPoint Destination, PreSharedKey Key, string Wdir,
                                                 bool InsecurePlaintext, bool CopyRootFileSystem = false,
                                                 MigrationStrategy Strategy = MigrationStrategy.StopAndCopy, int PreDumps = 2,
                                                 TimeSpan? HandshakeTimeout = null);

/// <summary>A container's migration from the command line: the connection, the move, the report.</summary>
internal static class ContainerCliMigration
{
    /// <exception cref="TransportException">Connecting or authenticating failed; the container was not touched.</exception>
    /// <exception cref="ContainerRuntimeException">No such container, it is not running, or its checkpoint failed; it runs here.</exception>
    /// <exception cref="ContainerMigrationException">The destination refused or failed; the message says where the container is.</exception>
    public static async Task<ContainerMigrationReport> RunAsync(ContainerMigrationRequest request, ILoggerFactory loggerFactory, ProgressLines progress,
                                                                CancellationToken cancellationToken)
    {
        progress.Connecting(request.Destination);
        var connectionOptions = new MigrationConnectionOptions { InsecurePlaintext = request.InsecurePlaintext };
        if (request.HandshakeTimeout is { } handshake)
            connectionOptions = connectionOptions with { HandshakeTimeout = handshake };
        var connection = await MigrationConnection.ConnectAsync(request.Destination, request.Key, connectionOptions, loggerFactory, cancellationToken)
                                                  .ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            progress.Connected(connection.RemoteEndPoint, connection.SessionId, connection.Encrypted);
            var runtime = new RuncRuntime(request.Runtime, loggerFactory.CreateLogger<RuncRuntime>());
            var options = new ContainerMigrationOptions
            {
                CopyRootFileSystem = request.CopyRootFileSystem,
                Strategy = request.Strategy,
                PreDumps = request.PreDumps,
            };
            return await new ContainerMigration(connection, runtime, request.Wdir, loggerFactory, options).MigrateAsync(request.Id, cancellationToken)
                                                                                                        .ConfigureAwait(false);
        }
    }

    /// <summary>Why the container cannot be migrated as it is (no such container, or not running); null when it can.</summary>
    public static async Task<string?> RefusalAsync(ContainerMigrationRequest request, CancellationToken cancellationToken)
    {
        var state = await new RuncRuntime(request.Runtime).GetStateAsync(request.Id, cancellationToken).ConfigureAwait(false);
        if (state is null)
            return $"--container {request.Id}: no such container" + (request.Runtime.Root is { } root ? $" in --runtime-root {root}" : "");
        return state.Status == ContainerStatus.Running
            ? null
            : $"--container {request.Id}: it is {state.Status.ToString().ToLowerInvariant()}; only a running container can be migrated";
    }

    /// <summary>--strategy for a container: auto keeps to stop-and-copy, which has no window in which the container can be lost.</summary>
    public static MigrationStrategy StrategyFor(MigrationStrategy asked) =>
        asked == MigrationStrategy.Auto ? MigrationStrategy.StopAndCopy : asked;

    /// <summary>The exit code for a failure: where the container is decides it.</summary>
    public static ExitCode ExitCodeFor(Exception failure) => failure switch
    {
        ContainerMigrationException { HandOverInDoubt: true } => ExitCode.HandOverInDoubt,
        ProcessLostException => ExitCode.ProcessLost,
        _ => ExitCode.Failed,
    };

    /// <summary>Why the migration of <paramref name="id"/> failed and where the container is; null for an exception no migration failure explains.</summary>
    public static string? DescribeFailure(Exception failure, string id) => failure switch
    {
        ContainerMigrationException migration => migration.Message,
        ProcessLostException lost => $"container '{id}': {lost.Message}",
        ContainerRuntimeException runtime => $"--container {id}: {runtime.Message}. It was not migrated; if it ran, it runs on here.",
        TransportException transport => $"{transport.Message}. Container '{id}' was not touched: it keeps running here.",
        _ => null,
    };

    public static void WriteReport(TextWriter output, ContainerMigrationReport report, string destination)
    {
        output.WriteLine($"container    '{report.Id}' moved to {destination} by {ReportText.Strategy(report.Strategy)}: init pid {report.DestinationPid} there, bundle {report.DestinationBundle}");
        output.WriteLine($"frozen       {Units.Duration(report.Frozen)} from the pause here to the container running there: checkpoint {Units.Duration(report.Checkpoint)}, " +
                         (report.RootFileSystemSync > TimeSpan.Zero ? $"root file system synced in {Units.Duration(report.RootFileSystemSync)}, " : "") +
                         $"images {Units.Count(report.ImageFiles)} files, {Units.Bytes(report.ImageBytes)} in {Units.Duration(report.Transfer)}, " +
                         $"restore {Units.Duration(report.Restore)}");
        if (report.PreDumps > 0)
            output.WriteLine($"pre-copy     {Units.Count(report.PreDumps)} pre-dumps, {Units.Bytes(report.PreDumpBytes)} sent in {Units.Duration(report.PreCopy)} while it ran");
        if (report.Strategy is MigrationStrategy.PostCopy or MigrationStrategy.Hybrid)
            output.WriteLine($"memory       followed in {Units.Duration(report.MemoryFollowed)} after the restore, from the paused copy here");
        output.WriteLine($"total        {Units.Duration(report.Total)}; the paused copy here is deleted");
    }

    public static string ToJson(ContainerMigrationReport report) => JsonOutput.Object(1, writer =>
    {
        writer.WriteString("container", report.Id);
        writer.WriteNumber("destinationPid", report.DestinationPid);
        writer.WriteString("destinationBundle", report.DestinationBundle);
        writer.WriteString("strategy", ReportText.Strategy(report.Strategy));
        writer.WriteNumber("frozenMs", report.Frozen.TotalMilliseconds);
        writer.WriteNumber("checkpointMs", report.Checkpoint.TotalMilliseconds);
        writer.WriteNumber("rootFileSystemSyncMs", report.RootFileSystemSync.TotalMilliseconds);
        writer.WriteNumber("transferMs", report.Transfer.TotalMilliseconds);
        writer.WriteNumber("restoreMs", report.Restore.TotalMilliseconds);
        writer.WriteNumber("memoryFollowedMs", report.MemoryFollowed.TotalMilliseconds);
        writer.WriteNumber("preDumps", report.PreDumps);
        writer.WriteNumber("preDumpBytes", report.PreDumpBytes);
        writer.WriteNumber("preCopyMs", report.PreCopy.TotalMilliseconds);
        writer.WriteNumber("imageFiles", report.ImageFiles);
        writer.WriteNumber("imageBytes", report.ImageBytes);
        writer.WriteNumber("totalMs", report.Total.TotalMilliseconds);
    }, indented: true);
}
