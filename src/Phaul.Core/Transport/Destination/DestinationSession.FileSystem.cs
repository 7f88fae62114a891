using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

internal sealed partial class DestinationSession
{
    private const int RsyncChunkBytes = 64 * 1024;

    private bool _fileSystemPrepared;

    private async Task<FsResult> PrepareFileSystemAsync(FsPrepareRequest request, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<FileSystemMode>(request.Mode, out var mode) || !Enum.IsDefined(mode))
            return new FsResult { Error = $"the destination knows no file-system mode '{request.Mode}'" };
        var error = await FileSystemErrorOfAsync(
            () => _fileSystem.PrepareAsync(new FileSystemPlan(mode, [.. request.Paths], request.KeepOnFailure), cancellationToken)).ConfigureAwait(false);
        _fileSystemPrepared |= error.Length == 0;
        return new FsResult { Error = error };
    }

    private async Task<FsResult> CompleteFileSystemAsync(bool migrated, CancellationToken cancellationToken)
    {
        // The tree runs here: its files stay, whatever the source concluded.
        if (!migrated && RestoredPid is not null)
            return new FsResult { Error = $"the destination restored the tree (pid {RestoredPid}), so it keeps its files" };
        _fileSystemPrepared = false;
        return new FsResult { Error = await FileSystemErrorOfAsync(() => _fileSystem.CompleteAsync(migrated, cancellationToken)).ConfigureAwait(false) };
    }

    /// <summary>
    /// A session that ends without the source's completion (it failed or vanished) removes a copy for a tree not restored
    /// here, keeps the copy of a tree that runs here, and lets go of its targets either way.
    /// </summary>
    private async Task AbandonFileSystemAsync()
    {
        if (_fileSystemPrepared)
            await CompleteFileSystemAsync(migrated: RestoredPid is not null, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// One rsync copy: checks the arguments, starts rsync --server, and joins it to the source's rsync until the
    /// source closes the exchange (after this side sent the server's end).
    /// </summary>
    private async Task RunRsyncServerAsync(FsSyncOpen open, CancellationToken cancellationToken)
    {
        RsyncServerProcess server;
        try
        {
            server = _fileSystem.StartRsyncServer([.. open.Arguments]);
        }
        catch (Exception e) when (e is FileSystemMigrationException or IOException or System.ComponentModel.Win32Exception)
        {
            _logger.FileSystemRequestFailed(_id, e.Message);
            await SendFileSystemAsync(new Envelope { FsSyncOpened = new FsResult { Error = e.Message } }, cancellationToken).ConfigureAwait(false);
            return;
        }
        using (server)
        {
            await SendFileSystemAsync(new Envelope { FsSyncOpened = new FsResult() }, cancellationToken).ConfigureAwait(false);
            var sending = SendServerOutputAsync(server, cancellationToken);
            try
            {
                await ReceiveUntilCloseAsync(server, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                server.Dispose();
                await Task.WhenAny(sending).ConfigureAwait(false);
                throw;
            }
            await sending.ConfigureAwait(false);
        }
    }

    // The only sender during a copy: the server's output, then its end.
    private async Task SendServerOutputAsync(RsyncServerProcess server, CancellationToken cancellationToken)
    {
        var buffer = new byte[RsyncChunkBytes];
        int read;
        while ((read = await server.Output.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var data = new FsSyncData { Data = ByteString.CopyFrom(buffer, 0, read) };
            await SendFileSystemAsync(new Envelope { FsSyncData = data }, cancellationToken).ConfigureAwait(false);
        }
        var error = await FileSystemErrorOfAsync(() => server.WaitForSuccessAsync(cancellationToken)).ConfigureAwait(false);
        await SendFileSystemAsync(new Envelope { FsSyncEnd = new FsSyncEnd { Error = error } }, cancellationToken).ConfigureAwait(false);
    }

    private async Task ReceiveUntilCloseAsync(RsyncServerProcess server, CancellationToken cancellationToken)
    {
        var inputOpen = true;
        while (true)
        {
            var message = await _channel.ReceiveAnyAsync(TransportPhase.FileSystem, _options.Timeouts.Request, cancellationToken, _openIteration)
                                        .ConfigureAwait(false);
            switch (message.BodyCase)
            {
                case Envelope.BodyOneofCase.FsSyncData when inputOpen && message.FsSyncData.Data.IsEmpty:
                    server.EndInput();
                    inputOpen = false;
                    break;
                case Envelope.BodyOneofCase.FsSyncData when inputOpen:
                    try
                    {
                        await server.Input.WriteAsync(message.FsSyncData.Data.Memory, cancellationToken).ConfigureAwait(false);
                        await server.Input.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // The server exited; its end, on its way to the source, says how. Drop the rest.
                        inputOpen = false;
                    }
                    break;
                case Envelope.BodyOneofCase.FsSyncData:
                    break;
                case Envelope.BodyOneofCase.FsSyncClose:
                    return;
                case Envelope.BodyOneofCase.Abort:
                    throw _channel.Aborted(message.Abort, TransportPhase.FileSystem, _openIteration);
                default:
                    throw _channel.Unexpected(message, "the source's rsync data or the end of the copy", TransportPhase.FileSystem, _openIteration);
            }
        }
    }

    private ValueTask SendFileSystemAsync(Envelope envelope, CancellationToken cancellationToken) =>
        _channel.SendAsync(envelope, TransportPhase.FileSystem, cancellationToken, _openIteration);

    private async Task<string> FileSystemErrorOfAsync(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
            return "";
        }
        catch (Exception e) when (e is FileSystemMigrationException or IOException or UnauthorizedAccessException)
        {
            _logger.FileSystemRequestFailed(_id, e.Message);
            return e.Message;
        }
    }
}
