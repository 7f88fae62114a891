using System.Diagnostics;
using System.Net.Sockets;
using Phaul.Transport;

namespace Phaul.Containers;

public sealed partial class ContainerMigration
{
    // Without the restore's answer, how long CRIU here goes on serving a daemon that may have restored the container.
    private static readonly TimeSpan NoAnswerServingGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Post-copy: the images without the memory cross while the container is paused; the destination's lazy-pages daemon
    /// then fetches the memory through the session's memory connection from CRIU's page server here while the destination
    /// restores the container, which runs there from then on. Once CRIU here has served every page (or failed to), the
    /// destination says how it ended: every page arrived (the paused copy here is deleted), the restore failed (it resumes
    /// here), or the container ran there and its memory could not all follow (killed there, the stale copy here deleted: lost).
    /// </summary>
    private async Task<ContainerMigrationReport> HandOverLazilyAsync(HandOver handOver, CancellationToken cancellationToken)
    {
        var sent = await CheckpointAndSendAsync(
            handOver, () => PausedCheckpoint.CreateLazyAsync(_runtime, handOver.Id, handOver.Checkpoint, handOver.Network, _logger, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var checkpoint = sent.Checkpoint;
        using var memory = new Socket(new SafeSocketHandle(_connection.Memfd, ownsHandle: false));
        using var relayStop = new CancellationTokenSource();
        var relay = PageRelay.RunAsync(checkpoint.Pages!.Connection, memory, relayStop.Token);
        var restored = await LazyRestoreAsync(checkpoint, relay, relayStop).ConfigureAwait(false);
        var answered = Stopwatch.GetTimestamp();
        await MemoryOutcomeAsync(checkpoint, relay).ConfigureAwait(false);
        var memoryArrived = Stopwatch.GetTimestamp();
        await checkpoint.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return sent.Report(handOver, restored.Pid, answered) with { MemoryFollowed = Stopwatch.GetElapsedTime(answered, memoryArrived) };
    }

    /// <summary>
    /// Asks for the restore, the relay carrying the daemon's requests already. Not cancellable: once asked, the
    /// destination may run the container, and only its answer tells what to do here.
    /// </summary>
    private async Task<ContainerWire.Restored> LazyRestoreAsync(PausedCheckpoint checkpoint, Task relay, CancellationTokenSource relayStop)
    {
        var id = checkpoint.Container.Id;
        ContainerWire.Restored answer;
        try
        {
            var request = ContainerWire.Write(new ContainerWire.Envelope(null, new ContainerWire.Restore(id, LazyPages: true)));
            answer = ContainerWire.Read<ContainerWire.Restored>(
                await _connection.RequestAsync(ContainerWire.ExtensionName, request, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e) when (e is TransportException or InvalidDataException)
        {
            // Had it restored, its daemon still fetches pages: CRIU here may serve them all for a while, then stops (the
            // destination kills a copy whose pages cannot all arrive).
            await Task.WhenAny(relay, Task.Delay(NoAnswerServingGrace)).ConfigureAwait(false);
            await relayStop.CancelAsync().ConfigureAwait(false);
            await EndServingAsync(checkpoint, relay).ConfigureAwait(false);
            throw InDoubt(checkpoint, $"the destination's answer to the restore did not arrive ({e.Message})", e);
        }
        if (answer.Running)
            return answer;
        await relayStop.CancelAsync().ConfigureAwait(false);
        await EndServingAsync(checkpoint, relay).ConfigureAwait(false);
        if (answer.InDoubt)
            throw InDoubt(checkpoint, $"the destination's restore failed and it could not tell whether the container runs there ({answer.Error})", null);
        await AbandonAsync(checkpoint, null).ConfigureAwait(false);
        throw new ContainerMigrationException($"the destination could not restore container '{id}': {answer.Error}. It runs on here.");
    }

    /// <summary>Once CRIU here is done serving, the destination's word on the memory: arrived, or lost.</summary>
    private async Task<ContainerWire.Restored> MemoryOutcomeAsync(PausedCheckpoint checkpoint, Task relay)
    {
        var id = checkpoint.Container.Id;
        var relayFailure = await EndServingAsync(checkpoint, relay).ConfigureAwait(false);
        ContainerWire.Restored answer;
        try
        {
            var request = ContainerWire.Write(new ContainerWire.Envelope(null, null, new ContainerWire.Outcome(id)));
            answer = ContainerWire.Read<ContainerWire.Restored>(
                await _connection.RequestAsync(ContainerWire.ExtensionName, request, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e) when (e is TransportException or InvalidDataException)
        {
            throw InDoubt(checkpoint, $"it ran on the destination, and whether all of its memory arrived there is unknown ({(relayFailure ?? e).Message}); " +
                                      "the destination kills it if not", e);
        }
        if (answer.Running)
            return answer;
        throw await LostAsync(checkpoint, answer).ConfigureAwait(false);
    }

    /// <summary>Waits until CRIU here ends its serving (every page served, or its connection failed); returns the relay's failure.</summary>
    private async Task<Exception?> EndServingAsync(PausedCheckpoint checkpoint, Task relay)
    {
        Exception? failure = null;
        try
        {
            await relay.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            failure = e;
        }
        if (await checkpoint.Pages!.StopAsync().ConfigureAwait(false) is { } served)
            _logger.LazyServingEnded(checkpoint.Container.Id, served);
        return failure;
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
