using System.Net;
using Microsoft.Extensions.Logging;
using Phaul.FileSystem;
using Phaul.Transport;

namespace Phaul.Cli.Migration;

/// <summary>What to migrate where: everything <c>phaul migrate</c> and <c>phaul demo</c> pass to <see cref="RemoteMigration"/>.</summary>
/// <param name="Pid">The tree's root on this host.</param>
/// <param name="Destination">Where <c>phaul serve</c> (or the demo's listener) listens.</param>
/// <param name="Key">The pre-shared key.</param>
/// <param name="Strategy">Which strategy to ask for.</param>
/// <param name="AllowFallback">Whether a strategy that cannot run falls back to the next best one.</param>
/// <param name="Wdir">An empty directory for this migration's images and CRIU logs on the source.</param>
/// <param name="CriuPath">The CRIU binary; null for $PHAUL_CRIU or PATH.</param>
/// <param name="FileSystem">What to do with the tree's files; null for nothing.</param>
/// <param name="InsecurePlaintext">Send everything unencrypted; the destination must allow it too.</param>
/// <param name="Tuning">CRIU's options and the loop's limits; null for the defaults.</param>
/// <param name="HandshakeTimeout">The wait for each connection's handshake; null for the default (10 s).</param>
internal sealed record MigrationRequest(int Pid, EndPoint Destination, PreSharedKey Key, MigrationStrategy Strategy, bool AllowFallback,
                                      string Wdir, string? CriuPath, FileSystemChoice? FileSystem = null, bool InsecurePlaintext = false,
                                      MigrationTuning? Tuning = null, TimeSpan? HandshakeTimeout = null);

/// <summary>
/// The one code path of a CLI migration: connect to the destination through Phaul.Transport and
/// run the migration core over that connection.
/// </summary>
internal static class RemoteMigration
{
    /// <returns>The outcome; it has no report when the migration failed or was cancelled after the destination restored the tree.</returns>
    /// <exception cref="TransportException">Connecting or authenticating failed; the tree was not touched.</exception>
    /// <exception cref="MigrationException">The migration failed; the tree runs on the source.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the tree runs on the source.</exception>
    public static async Task<MigrationOutcome> RunAsync(MigrationRequest request, ILoggerFactory loggerFactory, ProgressLines progress,
                                                        CancellationToken cancellationToken)
    {
        var connectionOptions = new MigrationConnectionOptions
        {
            InsecurePlaintext = request.InsecurePlaintext,
            Progress = progress,
            CriuOptions = request.Tuning?.CriuOptions,
        };
        if (request.HandshakeTimeout is { } handshake)
            connectionOptions = connectionOptions with { HandshakeTimeout = handshake };
        progress.Connecting(request.Destination);
        var connection = await MigrationConnection.ConnectAsync(request.Destination, request.Key, connectionOptions, loggerFactory,
                                                                cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            progress.Connected(connection.RemoteEndPoint, connection.SessionId, connection.Encrypted);
            var config = new PhaulConfig { Pid = request.Pid, Memfd = connection.Memfd, Wdir = request.Wdir };
            var options = new PhaulClientOptions
            {
                Strategy = request.Strategy,
                AllowFallback = request.AllowFallback,
                CriuFactory = request.CriuPath is { } path ? () => new Criu(path) : null,
                Progress = progress,
                Hooks = request.FileSystem?.Create(connection.FileSystem(), loggerFactory) is { } files ? [files] : [],
            };
            options = request.Tuning?.ApplyTo(options) ?? options;
            var client = PhaulClient.MakePhaulClient(connection.Local, connection.Remote, config, options, loggerFactory);
            try
            {
                var report = await client.MigrateAsync(cancellationToken).ConfigureAwait(false);
                return new MigrationOutcome(request.Pid, report, connection.Restored, connection.RemoteEndPoint);
            }
            catch (Exception e) when (connection.Restored is { } restored && e is OperationCanceledException or MigrationException { FinalStageCompleted: true })
            {
                // The final stage had returned (the core then only ends the final iteration, with the caller's token):
                // the tree runs on the destination and CRIU ended the source's copy.
                var what = e is OperationCanceledException ? "the migration was interrupted too late to cancel" : e.Message;
                return new MigrationOutcome(request.Pid, null, restored, connection.RemoteEndPoint,
                                            $"{what}; the destination had restored the tree as pid {restored.Pid} already");
            }
        }
    }

    /// <summary>The exit code for a failure <see cref="DescribeFailure"/> explains: where the tree runs decides it.</summary>
    public static ExitCode ExitCodeFor(Exception failure) => failure switch
    {
        MigrationException { Step: MigrationStep.CheckTree } => ExitCode.BadInput,
        MigrationException { ProcessLost: true } => ExitCode.ProcessLost,
        MigrationException { HandOverInDoubt: true } => ExitCode.HandOverInDoubt,
        _ => ExitCode.Failed,
    };

    /// <summary>Why a migration of <paramref name="pid"/> failed and where the tree runs now; null for an exception no migration failure explains.</summary>
    public static string? DescribeFailure(Exception failure, int pid) => failure switch
    {
        MigrationException { Step: MigrationStep.CheckTree } refused =>
            $"--pid {pid}: {refused.InnerException?.Message} Nothing was frozen: pid {pid} keeps running here.",
        MigrationException migration => migration.Message,
        TransportException { Phase: TransportPhase.Authentication } auth =>
            $"{auth.Message}. Both hosts need the same key file. Pid {pid} was not touched: it keeps running here.",
        TransportException transport => $"{transport.Message}. Pid {pid} was not touched: it keeps running here.",
        _ => null,
    };
}
