using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination's file-system end as the source sees it, over the session's authenticated control
/// connection: each request holds the connection, and an rsync copy streams both directions of the
/// source's rsync through it to the destination's <c>rsync --server</c>, which the destination chose
/// and checked itself.
/// </summary>
internal sealed class TunnelledFileSystemDestination(SourceControl control) : IFileSystemDestination
{
    private const int ChunkBytes = 64 * 1024;

    public async Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var request = new FsPrepareRequest { Mode = plan.Mode.ToString(), KeepOnFailure = plan.KeepOnFailure };
        request.Paths.AddRange(plan.Paths);
        var answer = await control.RequestAsync(new Envelope { FsPrepareRequest = request }, Envelope.BodyOneofCase.FsPrepareResult,
                                                TransportPhase.FileSystem, Iteration, cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(answer.FsPrepareResult.Error);
    }

    public async Task CompleteAsync(bool migrated, CancellationToken cancellationToken)
    {
        var answer = await control.RequestAsync(new Envelope { FsCompleteRequest = new FsCompleteRequest { Migrated = migrated } },
                                                Envelope.BodyOneofCase.FsCompleteResult, TransportPhase.FileSystem, Iteration,
                                                cancellationToken).ConfigureAwait(false);
        ThrowIfFailed(answer.FsCompleteResult.Error);
    }

    public async Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverArguments);
        ArgumentNullException.ThrowIfNull(stdio);
        var error = await control.ExclusiveAsync(() => ExchangeAsync(serverArguments, stdio, cancellationToken), cancellationToken)
                                 .ConfigureAwait(false);
        ThrowIfFailed(error);
    }

    /// <returns>The destination's error, "" when its rsync succeeded.</returns>
    private async Task<string> ExchangeAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken)
    {
        var channel = control.Channel;
        var open = new FsSyncOpen();
        open.Arguments.AddRange(serverArguments);
        await channel.SendAsync(new Envelope { FsSyncOpen = open }, TransportPhase.FileSystem, cancellationToken, Iteration).ConfigureAwait(false);
        var opened = await channel.ReceiveAsync(Envelope.BodyOneofCase.FsSyncOpened, TransportPhase.FileSystem, control.Timeouts.Reply,
                                                cancellationToken, Iteration).ConfigureAwait(false);
        if (opened.FsSyncOpened.Error.Length > 0)
            return opened.FsSyncOpened.Error;

        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = SendAsync(stdio, stopSending.Token, cancellationToken);
        string error;
        try
        {
            error = await ReceiveUntilEndAsync(stdio, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopSending.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(sending).ConfigureAwait(false);
        }
        await sending.ConfigureAwait(false);
        await channel.SendAsync(new Envelope { FsSyncClose = new FsSyncClose() }, TransportPhase.FileSystem, cancellationToken, Iteration)
                     .ConfigureAwait(false);
        return error;
    }

    // The only sender until the destination's rsync ended. Only the read from the relay is cancelled: a frame
    // cut half-way would put the connection out of step.
    private async Task SendAsync(Stream stdio, CancellationToken stop, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        while (true)
        {
            int read;
            try
            {
                read = await stdio.ReadAsync(buffer, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            // The source's rsync ended its output (it exited): an empty chunk says so, and the destination's
            // rsync, its input closed, ends too and reports.
            var data = new FsSyncData { Data = ByteString.CopyFrom(buffer, 0, read) };
            await control.Channel.SendAsync(new Envelope { FsSyncData = data }, TransportPhase.FileSystem, cancellationToken, Iteration)
                         .ConfigureAwait(false);
            if (read == 0)
                return;
        }
    }

    private async Task<string> ReceiveUntilEndAsync(Stream stdio, CancellationToken cancellationToken)
    {
        var channel = control.Channel;
        var relayOpen = true;
        while (true)
        {
            var message = await channel.ReceiveAnyAsync(TransportPhase.FileSystem, control.Timeouts.Reply, cancellationToken, Iteration)
                                       .ConfigureAwait(false);
            switch (message.BodyCase)
            {
                case Envelope.BodyOneofCase.FsSyncData when relayOpen:
                    try
                    {
                        await stdio.WriteAsync(message.FsSyncData.Data.Memory, cancellationToken).ConfigureAwait(false);
                    }
                    catch (IOException)
                    {
                        // The source's rsync is gone (its exit status says why); the destination's end still comes.
                        relayOpen = false;
                    }
                    break;
                case Envelope.BodyOneofCase.FsSyncData:
                    break;
                case Envelope.BodyOneofCase.FsSyncEnd:
                    return message.FsSyncEnd.Error;
                case Envelope.BodyOneofCase.Abort:
                    throw channel.Aborted(message.Abort, TransportPhase.FileSystem, Iteration);
                default:
                    throw channel.Unexpected(message, "the destination's rsync output or its end", TransportPhase.FileSystem, Iteration);
            }
        }
    }

    private int? Iteration => control.CurrentIteration;

    private static void ThrowIfFailed(string error)
    {
        if (error.Length > 0)
            throw new FileSystemMigrationException(error);
    }
}
