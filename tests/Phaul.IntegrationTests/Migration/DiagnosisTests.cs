using System.Net;
using System.Net.Sockets;
using Phaul.Rpc;

namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// A real CRIU failure is reported by its cause, not by the RLIMIT_NOFILE line CRIU logs on every run on hosts without
/// CAP_SYS_RESOURCE: the headline is CRIU's first real error, with the fix and the full log's path, and the tree runs on.
/// </summary>
public sealed class DiagnosisTests
{
    private const int PagesStillOwedEvent = 4114; // PostCopyLog.SourceDumpFailedWhileServing

    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 120_000)]
    [InlineData(MigrationStrategy.StopAndCopy)]
    [InlineData(MigrationStrategy.PostCopy)]
    public async Task A_tree_with_an_established_TCP_connection_fails_with_the_tcp_established_fix_as_its_headline_and_runs_on(MigrationStrategy strategy)
    {
        // Failure handled: dumping a connected TCP socket without --tcp-established; the cause was only in dump.log, the
        // message quoted the rlimit line, and post-copy added that pages were still owed although nothing was restored.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var shell = await ShellWorkload.StartAsync(
            $"exec 3<>/dev/tcp/127.0.0.1/{port}; n=0; while :; do n=$((n+1)); echo $n > counter; sleep 0.01; done", cancellationToken: Ct);
        using var peer = await listener.AcceptTcpClientAsync(Ct);
        await shell.WaitForCounterAsync(5, Progress, Ct);

        var error = await Assert.ThrowsAsync<MigrationException>(() => pair.Client(shell.Root, strategy, allowFallback: false).MigrateAsync(Ct));
        await shell.WaitForCounterAsync(20, Progress, Ct);

        TestContext.Current.TestOutputHelper?.WriteLine(error.Message);
        Assert.Equal(MigrationStep.DumpCopyRestore, error.Step);
        Assert.False(error.FinalStageCompleted);
        var dump = Assert.IsType<CriuException>(error.InnerException);
        Assert.Equal(CriuReqType.Dump, dump.RequestType);
        Assert.Equal("inet: Connected TCP socket, consider using --tcp-established option.", dump.FirstError);
        Assert.Contains("migrate with --tcp-established", dump.Fix, StringComparison.Ordinal);
        Assert.True(File.Exists(dump.LogPath), $"no log at {dump.LogPath}");
        Assert.StartsWith(pair.Source.FullName, dump.LogPath, StringComparison.Ordinal);
        var cause = error.Message.Split(Environment.NewLine);
        Assert.Equal("Cause: CRIU Dump failed: inet: Connected TCP socket, consider using --tcp-established option.", cause[1]);
        Assert.StartsWith("Fix: the tree has established TCP connections: migrate with --tcp-established", cause[2], StringComparison.Ordinal);
        Assert.Equal($"Full log: {dump.LogPath}", cause[3]);
        Assert.DoesNotContain("RLIMIT_NOFILE", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(pair.Log.Records, record => record.EventId.Id == PagesStillOwedEvent);
        pair.AssertNothingLeftRunning();
    }
}
