using Phaul.Transport;

namespace Phaul.FileSystem;

/// <summary>
/// The destination's file-system end as the source sees it, over a session's control connection: preparing is a
/// request, and each rsync copy streams both directions of the source's rsync to the destination's
/// <c>rsync --server</c>, which the destination chose and checked itself.
/// </summary>
internal sealed class RemoteFileSystemDestination(MigrationConnection connection) : IFileSystemDestination
{
    private const int ChunkBytes = 64 * 1024;

    public async Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            await connection.RequestAsync(FileSystemWire.ExtensionName, FileSystemWire.Plan(plan), cancellationToken).ConfigureAwait(false);
        }
        catch (TransportException e) when (e.Phase == TransportPhase.Extension)
        {
            throw new FileSystemMigrationException(e.Reason, e);
        }
    }

    public async Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(serverArguments);
        ArgumentNullException.ThrowIfNull(stdio);
        try
        {
            var tunnel = await connection.OpenStreamAsync(FileSystemWire.ExtensionName, FileSystemWire.Arguments(serverArguments), cancellationToken)
                                         .ConfigureAwait(false);
            await using (tunnel.ConfigureAwait(false))
                await ExchangeAsync(stdio, tunnel, cancellationToken).ConfigureAwait(false);
        }
        catch (TransportException e) when (e.Phase == TransportPhase.Extension)
        {
            throw new FileSystemMigrationException(e.Reason, e);
        }
    }

    /// <summary>The session ends the destination's part when it ends: only it knows whether it restored the tree.</summary>
    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) => Task.CompletedTask;

    // Until the destination's rsync ended (its output, then its exit, end the tunnel's reading), the source's rsync
    // output goes to it.
    private static async Task ExchangeAsync(Stream stdio, Stream tunnel, CancellationToken cancellationToken)
    {
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = SendAsync(stdio, tunnel, stopSending.Token, cancellationToken);
        try
        {
            await ReceiveAsync(tunnel, stdio, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopSending.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(sending).ConfigureAwait(false);
        }
        await sending.ConfigureAwait(false);
    }

    // Only the read from the relay is cancelled: a write cut half-way would put the connection out of step.
    private static async Task SendAsync(Stream stdio, Stream tunnel, CancellationToken stop, CancellationToken cancellationToken)
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
            // Zero bytes end the source's side: its rsync ended its output (it exited), and the destination's rsync,
            // its input closed, ends too and reports.
            await tunnel.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                return;
        }
    }

    private static async Task ReceiveAsync(Stream tunnel, Stream stdio, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        var relayOpen = true;
        int read;
        while ((read = await tunnel.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (!relayOpen)
                continue;
            try
            {
                await stdio.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The source's rsync is gone (its exit status says why); the destination's end still comes.
                relayOpen = false;
            }
        }
    }
}
