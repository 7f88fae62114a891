using System.Diagnostics;
using System.Net.Sockets;
using Phaul.Transport;

namespace Phaul.Containers;

public sealed partial class ContainerMigration
{
    /// <summary>
    /// Post-copy: the images without the memory cross while the container is paused; then one stream carries the memory
    /// from CRIU's page server here to the destination's lazy-pages daemon while the destination restores the container and
    /// it runs there. Only once the stream is over does the source ask how it ended: every page arrived (the paused copy
    /// here is deleted), the restore failed (it resumes here), or the container ran there and its memory could not follow
    /// (killed there, and the stale copy here deleted: lost).
    /// </summary>
    private async Task<ContainerMigrationReport> HandOverLazilyAsync(HandOver handOver, CancellationToken cancellationToken)
    {
        var paused = Stopwatch.GetTimestamp();
        var checkpoint = await PausedCheckpoint.CreateLazyAsync(_runtime, handOver.Id, handOver.Checkpoint, handOver.Network, _logger, cancellationToken)
                                               .ConfigureAwait(false);
        var checkpointed = Stopwatch.GetTimestamp();
        await CopyWhilePausedAsync(handOver.Files, checkpoint, cancellationToken).ConfigureAwait(false);
        var synced = Stopwatch.GetTimestamp();
        var sent = await SendImagesAsync(checkpoint, cancellationToken).ConfigureAwait(false);
        var transferred = Stopwatch.GetTimestamp();
        var restored = await LazyRestoreAsync(checkpoint).ConfigureAwait(false);
        var memoryArrived = Stopwatch.GetTimestamp();
        await checkpoint.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        var restore = TimeSpan.FromSeconds(restored.RestoreSeconds);
        return new ContainerMigrationReport
        {
            Id = handOver.Id,
            Strategy = MigrationStrategy.PostCopy,
            DestinationPid = restored.Pid,
            DestinationBundle = handOver.DestinationBundle,
            Frozen = Stopwatch.GetElapsedTime(paused, transferred) + restore,
            Checkpoint = Stopwatch.GetElapsedTime(paused, checkpointed),
            RootFileSystemSync = Stopwatch.GetElapsedTime(checkpointed, synced),
            Transfer = Stopwatch.GetElapsedTime(synced, transferred),
            Restore = restore,
            MemoryFollowed = Stopwatch.GetElapsedTime(transferred, memoryArrived) - restore,
            ImageFiles = sent.Files,
            ImageBytes = sent.Bytes,
            Total = TimeSpan.Zero,
        };
    }

    /// <summary>
    /// The destination's restore and the memory's crossing, then the outcome. Not cancellable: once the destination may
    /// run the container, only its answer tells what to do here.
    /// </summary>
    private async Task<ContainerWire.Restored> LazyRestoreAsync(PausedCheckpoint checkpoint)
    {
        var id = checkpoint.Container.Id;
        var pages = checkpoint.Pages!;
        Exception? relayFailure = null;
        try
        {
            var stream = await _connection.OpenStreamAsync(ContainerWire.ExtensionName, ContainerWire.Write(new ContainerWire.LazyRestore(id)),
                                                           CancellationToken.None).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
                await PageRelay.RunAsync(pages.Connection, stream, () => stream.WriteAsync(ReadOnlyMemory<byte>.Empty).AsTask(),
                                         CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TransportException or IOException or SocketException)
        {
            relayFailure = e;
        }
        // CRIU has served every page, or its connection is closed now and its dump fails: either way it lets the container go.
        if (await pages.StopAsync().ConfigureAwait(false) is { } served)
            _logger.LazyServingEnded(id, served);

        ContainerWire.Restored answer;
        try
        {
            var request = ContainerWire.Write(new ContainerWire.Envelope(null, null, new ContainerWire.Outcome(id)));
            answer = ContainerWire.Read<ContainerWire.Restored>(
                await _connection.RequestAsync(ContainerWire.ExtensionName, request, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e) when (e is TransportException or InvalidDataException)
        {
            throw InDoubt(checkpoint, $"the destination's answer to the post-copy restore did not arrive ({(relayFailure ?? e).Message})", e);
        }
        if (answer.Running)
            return answer;
        if (answer.Lost)
            throw await LostAsync(checkpoint, answer).ConfigureAwait(false);
        if (answer.InDoubt)
            throw InDoubt(checkpoint, $"the destination's restore failed and it could not tell whether the container runs there ({answer.Error})", null);
        await AbandonAsync(checkpoint, relayFailure).ConfigureAwait(false);
        throw new ContainerMigrationException($"the destination could not restore container '{id}': {answer.Error}. It runs on here.", relayFailure);
    }

    // The destination ran the container: the paused copy here is stale (its peers saw the other one), so it goes too.
    private async Task<Exception> LostAsync(PausedCheckpoint checkpoint, ContainerWire.Restored answer)
    {
        try
        {
            await checkpoint.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ContainerRuntimeException e)
        {
            _logger.StaleCopyNotDeleted(checkpoint.Container.Id, e);
        }
        return new ProcessLostException(answer.Pid, $"container '{checkpoint.Container.Id}''s memory could not all follow: {answer.Error}");
    }
}
