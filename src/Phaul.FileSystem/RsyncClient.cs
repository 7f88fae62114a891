using System.Net.Sockets;

namespace Phaul.FileSystem;

/// <summary>
/// One copy of a directory tree: the source's rsync, its remote shell being <see cref="RsyncRelay"/>,
/// and the destination's <c>rsync --server</c> run by an <see cref="IFileSystemDestination"/> on the
/// relay's socket.
/// </summary>
internal sealed class RsyncClient(string rsyncPath, IFileSystemDestination destination)
{
    // rsync's --stats block and its error lines fit.
    private const int OutputLines = 40;

    // How long rsync may take to exit once its remote side has ended.
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    public async Task<FileSystemTransfer> CopyAsync(IReadOnlyList<string> options, string source, string target,
                                                    CancellationToken cancellationToken)
    {
        IReadOnlyList<string> arguments =
            [.. options, "-e", RsyncRelay.RemoteShell, WithSlash(source), $"{RsyncRelay.HostName}:{WithSlash(target)}"];
        var (socket, relayEnd) = SocketPair.CreateStream();
        ChildProcess rsync;
        using (relayEnd)
        {
            try
            {
                rsync = ChildProcess.Start(rsyncPath, arguments, [(int)relayEnd.DangerousGetHandle()], "phaul-rsync");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        using (rsync)
        using (var stream = new NetworkStream(socket, ownsSocket: true))
        {
            await RunRemoteSideAsync(rsync, RunDestinationAsync(stream, cancellationToken), socket, source, cancellationToken).ConfigureAwait(false);
            if (!await rsync.WaitForExitAsync(ExitTimeout, cancellationToken).ConfigureAwait(false) && rsync.CanSeeExit)
                throw Failed(rsync, source, $"did not exit within {ExitTimeout.TotalSeconds:0} s after the destination's rsync had ended");
            var status = rsync.Reap();
            if (!status.Exited || status.ExitCode != 0)
                throw Failed(rsync, source, $"ended with {status}");
            return RsyncStatistics.Parse(rsync.OutputTail(OutputLines));
        }
    }

    // The destination's rsync runs until it is done; the source's may only end first when it failed. Then the
    // relay still holds its socket, so this end stops reading: the destination's rsync sees its input end and
    // ends too, and the exchange with the destination finishes in step.
    private static async Task RunRemoteSideAsync(ChildProcess rsync, Task remote, Socket socket, string source,
                                                 CancellationToken cancellationToken)
    {
        using var stopWaiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var exited = rsync.WaitForExitAsync(TimeSpan.MaxValue, stopWaiting.Token);
        var sourceEndedFirst = await Task.WhenAny(remote, exited).ConfigureAwait(false) == exited && exited.IsCompletedSuccessfully && exited.Result;
        if (sourceEndedFirst)
            ShutDown(socket, SocketShutdown.Receive);
        await Task.WhenAny(remote).ConfigureAwait(false);
        await stopWaiting.CancelAsync().ConfigureAwait(false);
        // The relay ends when its socket does; rsync then ends too.
        ShutDown(socket, SocketShutdown.Both);
        await Task.WhenAny(exited).ConfigureAwait(false);
        if (sourceEndedFirst)
            throw Failed(rsync, source, $"{rsync.Reap()} before the destination's rsync finished", remote.Exception?.InnerException);
        if (remote.IsFaulted || remote.IsCanceled)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // What the destination's rsync said went to the source's, in the protocol: give both.
            await rsync.WaitForExitAsync(ExitTimeout, CancellationToken.None).ConfigureAwait(false);
            var cause = remote.Exception?.InnerException ?? new OperationCanceledException();
            throw new FileSystemMigrationException(
                $"{cause.Message} The source's rsync copying '{source}' said: {string.Join(" | ", rsync.OutputTail(8))}", cause);
        }
    }

    private static void ShutDown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (SocketException)
        {
            // The relay's end is gone already.
        }
    }

    private async Task RunDestinationAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var serverArguments = await RsyncRelay.ReadArgumentsAsync(stream, cancellationToken).ConfigureAwait(false);
        await destination.RunRsyncServerAsync(serverArguments, stream, cancellationToken).ConfigureAwait(false);
    }

    private static FileSystemMigrationException Failed(ChildProcess rsync, string source, string what, Exception? cause = null)
    {
        var message = $"The source's rsync copying '{source}' {what}: {string.Join(" | ", rsync.OutputTail(8))}";
        return cause is null ? new FileSystemMigrationException(message) : new FileSystemMigrationException(message, cause);
    }

    private static string WithSlash(string path) => path.EndsWith('/') ? path : path + "/";
}
