using System.Diagnostics;

namespace Phaul.Containers;

/// <summary>
/// The destination's post-copy: CRIU's lazy-pages daemon fetches the container's memory from the source's page server
/// through the stream, and runc restores the container with its memory left to the daemon. A container whose memory
/// cannot all arrive is killed here: it would read zeros where its pages are missing.
/// </summary>
internal sealed partial class ContainerDestination
{
    private const int DaemonLogLevel = 3;
    private static readonly TimeSpan DaemonReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PagesTimeout = TimeSpan.FromMinutes(10);

    private bool _lazyRestoreStarted;
    private ContainerWire.Restored? _lazyOutcome;

    private async Task LazyRestoreAsync(ContainerWire.LazyRestore request, Stream stream, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var images = CheckRestorable(request.Id);
        _lazyRestoreStarted = true;
        _lazyOutcome = new ContainerWire.Restored(false, 0, InDoubt: false, "the restore did not start");
        var (socket, daemonEnd) = SocketPair.CreateStream();
        using var relayEnd = socket;
        using var daemon = StartDaemon(daemonEnd, images);
        using var relayStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var relay = PageRelay.RunAsync(socket, stream, () => Task.CompletedTask, relayStop.Token);
        try
        {
            _lazyOutcome = await RestoreWithDaemonAsync(request.Id, daemon, images, started, cancellationToken).ConfigureAwait(false);
            if (!_lazyOutcome.Running)
                throw new ContainerRuntimeException(_lazyOutcome.Error);
            _lazyOutcome = await AwaitMemoryAsync(request.Id, daemon, _lazyOutcome, cancellationToken).ConfigureAwait(false);
            if (_lazyOutcome.Lost)
                throw new ContainerRuntimeException(_lazyOutcome.Error);
        }
        finally
        {
            daemon.Kill();
            await relayStop.CancelAsync().ConfigureAwait(false);
            await EndRelayAsync(relay).ConfigureAwait(false);
        }
        RemoveImages(images);
    }

    private ContainerWire.Restored LazyOutcome(ContainerWire.Outcome request) =>
        request.Id == _id && _lazyOutcome is { } outcome
            ? outcome
            : throw new InvalidOperationException($"no post-copy restore of container '{request.Id}' ran in this session");

    private LazyPagesDaemon StartDaemon(SafeFdHandle daemonEnd, string images)
    {
        using (daemonEnd)
        {
            try
            {
                return LazyPagesDaemon.Start(CriuPath(), daemonEnd.Fd, images, DaemonLogLevel);
            }
            catch (Exception e) when (e is NativeCallException or LazyPagesDaemonException or ContainerRuntimeException)
            {
                _lazyOutcome = _lazyOutcome! with { Error = $"CRIU's lazy-pages daemon did not start: {e.Message}" };
                throw;
            }
        }
    }

    private string CriuPath()
    {
        var criu = options.Runtime?.CriuPath ?? Environment.GetEnvironmentVariable("PHAUL_CRIU");
        return string.IsNullOrEmpty(criu)
            ? ExternalCommand.Resolve("criu") ?? throw new ContainerRuntimeException("CRIU (criu) was not found on PATH: it serves a post-copy restore's memory")
            : criu;
    }

    /// <summary>The daemon listens (in the images directory, where runc's restore looks for it), then runc restores.</summary>
    private async Task<ContainerWire.Restored> RestoreWithDaemonAsync(string id, LazyPagesDaemon daemon, string images, long started,
                                                                      CancellationToken cancellationToken)
    {
        try
        {
            await daemon.WaitUntilListeningAsync(DaemonReadyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (LazyPagesDaemonException e)
        {
            return new ContainerWire.Restored(false, 0, InDoubt: false, $"CRIU's lazy-pages daemon did not start: {e.Message}");
        }
        return await RestoreFromAsync(id, images, images, lazyPages: true, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the daemon has moved every page; if it cannot, the container is killed here.</summary>
    private async Task<ContainerWire.Restored> AwaitMemoryAsync(string id, LazyPagesDaemon daemon, ContainerWire.Restored running,
                                                                CancellationToken cancellationToken)
    {
        try
        {
            var moved = await daemon.WaitForCompletionAsync(PagesTimeout, cancellationToken).ConfigureAwait(false);
            logger.ContainerMemoryArrived(id, moved.PagesTransferred ?? 0);
            return running;
        }
        catch (Exception e) when (e is LazyPagesDaemonException or OperationCanceledException)
        {
            var killed = await CleanUpFailedRestoreAsync(id).ConfigureAwait(false);
            if (killed)
            {
                _restored = false;
                RestoredPid = null;
            }
            logger.ContainerMemoryLost(id, killed, e);
            var why = $"container '{id}' ran here as pid {running.Pid}, then its memory could not all arrive ({e.Message}); " +
                      (killed ? "it was killed here" : "killing it here failed: it may still run, with pages missing");
            return running with { Running = false, InDoubt = !killed, Lost = true, Error = why };
        }
    }

    // The relay ends with the daemon; its failure after that (the source gone) changes nothing here.
    private static async Task EndRelayAsync(Task relay)
    {
        try
        {
            await relay.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException or Phaul.Transport.TransportException)
        {
        }
    }
}
