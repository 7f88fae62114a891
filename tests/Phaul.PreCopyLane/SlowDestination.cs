namespace Phaul.PreCopyLane;

/// <summary>
/// A destination that is slow to start chosen iterations. The tree keeps running and dirtying memory in the
/// meantime, so the pre-dump after a pause finds more dirty pages than one without: the situation P.Haul's
/// growth rule (<see cref="PhaulClientOptions.MaxGrowth"/>) exists for.
/// </summary>
/// <param name="destination">The real destination.</param>
/// <param name="pauses">How long to wait before starting an iteration, by iteration index.</param>
internal sealed class SlowDestination(IPhaulRemote destination, IReadOnlyDictionary<int, TimeSpan> pauses) : IPhaulRemote
{
    private int _iteration;

    public async Task StartIterAsync(CancellationToken cancellationToken = default)
    {
        if (pauses.TryGetValue(_iteration++, out var pause))
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        await destination.StartIterAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopIterAsync(CancellationToken cancellationToken = default) => destination.StopIterAsync(cancellationToken);
}
