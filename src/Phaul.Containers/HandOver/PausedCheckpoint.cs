using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.Containers;

/// <summary>
/// The source's side of a container's hand-over. The container is paused (frozen by its cgroup), then checkpointed
/// with runc's <c>--leave-running</c>: CRIU finds the freezer frozen and leaves it so, and runc keeps its state. So
/// after the dump the container is still here, neither lost nor running, until the caller decides:
/// <see cref="CommitAsync"/> once the destination runs it (deleted here), <see cref="AbandonAsync"/> on any failure
/// before that (resumed here, as if nothing happened). Without a decision it stays paused: in doubt, a container must
/// not run in two places.
/// </summary>
public sealed class PausedCheckpoint
{
    private readonly RuncRuntime _runtime;
    private readonly NetworkLock? _network;
    private readonly ILogger _logger;
    private int _decided;

    private PausedCheckpoint(RuncRuntime runtime, ContainerState state, string imagePath, NetworkLock? network, ILogger logger,
                             LazyPageServer? pages = null)
    {
        _runtime = runtime;
        _network = network;
        Pages = pages;
        Container = state;
        ImagePath = imagePath;
        _logger = logger;
    }

    /// <summary>The container as it was before the pause.</summary>
    public ContainerState Container { get; }

    /// <summary>The directory holding the checkpoint's images.</summary>
    public string ImagePath { get; }

    /// <summary>For post-copy, CRIU serving the container's memory from here until the destination has all of it.</summary>
    internal LazyPageServer? Pages { get; }

    /// <summary>The host's ends of the container's veth pairs, down while the hand-over is undecided.</summary>
    internal IReadOnlyList<string> DownHostPeers => _network?.HostPeers ?? [];

    /// <summary>Pauses the running container <paramref name="id"/> and checkpoints it, leaving it paused.</summary>
    /// <param name="runtime">The runtime that runs it.</param>
    /// <param name="id">The container.</param>
    /// <param name="checkpoint">Where the images and CRIU's log go (<see cref="RuncCheckpointOptions.LeaveRunning"/> is forced on).</param>
    /// <param name="logger">Where the steps are logged; null for none.</param>
    /// <param name="cancellationToken">Abandons the checkpoint; the container is resumed.</param>
    /// <exception cref="ContainerRuntimeException">
    /// No such container, it is not running, or the pause or the checkpoint failed: the container runs on here as before
    /// (unless resuming it failed too, which the message says).
    /// </exception>
    public static Task<PausedCheckpoint> CreateAsync(RuncRuntime runtime, string id, RuncCheckpointOptions checkpoint,
                                                     ILogger? logger = null, CancellationToken cancellationToken = default) =>
        CreateAsync(runtime, id, checkpoint, null, logger, cancellationToken);

    /// <summary>
    /// As the public one; once the container is paused, and before the checkpoint, <paramref name="network"/> takes its
    /// interfaces down: a paused copy's kernel would still acknowledge data that the destination's copy, restored from the
    /// checkpoint, never gets. Before the checkpoint that data is in the images; after it, nothing gets through.
    /// </summary>
    internal static async Task<PausedCheckpoint> CreateAsync(RuncRuntime runtime, string id, RuncCheckpointOptions checkpoint, NetworkLock? network,
                                                             ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(checkpoint);
        logger ??= NullLogger.Instance;
        return await PauseAndCheckpointAsync(runtime, id, checkpoint.ImagePath, network, logger, async () =>
        {
            await runtime.CheckpointAsync(id, checkpoint with { LeaveRunning = true }, cancellationToken).ConfigureAwait(false);
            var after = await runtime.GetStateAsync(id, cancellationToken).ConfigureAwait(false);
            if (after?.Status != ContainerStatus.Paused)
                throw new ContainerRuntimeException(
                    $"container '{id}' is {after?.Status.ToString().ToLowerInvariant() ?? "gone"} after its checkpoint, not paused: its images are not its last state");
            return null;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="CreateAsync(RuncRuntime, string, RuncCheckpointOptions, NetworkLock?, ILogger?, CancellationToken)"/>, for
    /// post-copy: the images hold no memory; CRIU serves it from the paused container (<see cref="Pages"/>) until the
    /// destination's daemon has it all. A decision first ends that serving.
    /// </summary>
    internal static Task<PausedCheckpoint> CreateLazyAsync(RuncRuntime runtime, string id, RuncCheckpointOptions checkpoint, NetworkLock? network,
                                                           ILogger logger, CancellationToken cancellationToken) =>
        PauseAndCheckpointAsync(runtime, id, checkpoint.ImagePath, network, logger,
                                async () => await LazyPageServer.StartAsync(runtime, id, checkpoint with { LeaveRunning = true }, cancellationToken)
                                                                .ConfigureAwait(false),
                                cancellationToken);

    private static async Task<PausedCheckpoint> PauseAndCheckpointAsync(RuncRuntime runtime, string id, string imagePath, NetworkLock? network, ILogger logger,
                                                                        Func<Task<LazyPageServer?>> checkpoint, CancellationToken cancellationToken)
    {
        var state = await runtime.GetStateAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerRuntimeException($"there is no container '{id}'" + (runtime.Root is { } root ? $" in runc root {root}" : ""));
        if (state.Status != ContainerStatus.Running)
            throw new ContainerRuntimeException($"container '{id}' is {state.Status.ToString().ToLowerInvariant()}: only a running container can be migrated");

        var started = Stopwatch.GetTimestamp();
        await runtime.PauseAsync(id, cancellationToken).ConfigureAwait(false);
        LazyPageServer? pages;
        try
        {
            await (network?.LockAsync(cancellationToken) ?? Task.CompletedTask).ConfigureAwait(false);
            pages = await checkpoint().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw await ResumeAfterFailureAsync(runtime, id, network, e, logger).ConfigureAwait(false);
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        logger.ContainerCheckpointed(id, imagePath, elapsed);
        return new PausedCheckpoint(runtime, state, imagePath, network, logger, pages);
    }

    /// <summary>The destination runs the container: kills and deletes the paused one here.</summary>
    /// <exception cref="InvalidOperationException">The hand-over was decided already.</exception>
    /// <exception cref="ContainerRuntimeException">runc could not delete it; it stays paused here.</exception>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        await EndServingAsync().ConfigureAwait(false);
        await _runtime.DeleteAsync(Container.Id, force: true, cancellationToken).ConfigureAwait(false);
        _logger.SourceContainerDeleted(Container.Id);
        try
        {
            await (_network?.RemoveAsync() ?? Task.CompletedTask).ConfigureAwait(false);
        }
        catch (ContainerRuntimeException e)
        {
            _logger.SourceNetworkNotRemoved(Container.Id, e);
        }
    }

    /// <summary>The destination does not run the container: resumes it here.</summary>
    /// <exception cref="InvalidOperationException">The hand-over was decided already.</exception>
    /// <exception cref="ContainerRuntimeException">runc could not resume it (it stays paused here), or its network could not be brought up again.</exception>
    public async Task AbandonAsync(CancellationToken cancellationToken = default)
    {
        Decide();
        await EndServingAsync().ConfigureAwait(false);
        await _runtime.ResumeAsync(Container.Id, cancellationToken).ConfigureAwait(false);
        await (_network?.UnlockAsync() ?? Task.CompletedTask).ConfigureAwait(false);
        _logger.SourceContainerResumed(Container.Id);
    }

    // CRIU holds the container's processes while it serves their memory: neither runc's delete nor its resume may come first.
    private async Task EndServingAsync()
    {
        if (Pages is null)
            return;
        var failure = await Pages.StopAsync().ConfigureAwait(false);
        Pages.Dispose();
        if (failure is not null)
            _logger.LazyServingEnded(Container.Id, failure);
    }

    private void Decide()
    {
        if (Interlocked.Exchange(ref _decided, 1) != 0)
            throw new InvalidOperationException($"the hand-over of container '{Container.Id}' was decided already");
    }

    // Whatever cancelled the checkpoint must not keep the container frozen: resume it regardless of the token.
    private static async Task<Exception> ResumeAfterFailureAsync(RuncRuntime runtime, string id, NetworkLock? network, Exception failure, ILogger logger)
    {
        try
        {
            if ((await runtime.GetStateAsync(id, CancellationToken.None).ConfigureAwait(false))?.Status == ContainerStatus.Paused)
                await runtime.ResumeAsync(id, CancellationToken.None).ConfigureAwait(false);
            await (network?.UnlockAsync() ?? Task.CompletedTask).ConfigureAwait(false);
            logger.CheckpointFailedResumed(id, failure);
            return failure;
        }
        catch (ContainerRuntimeException resumeFailure)
        {
            return new ContainerRuntimeException(
                $"container '{id}': the checkpoint failed ({failure.Message}) and resuming it failed too, so it is left paused: {resumeFailure.Message}",
                new AggregateException(failure, resumeFailure));
        }
    }
}
