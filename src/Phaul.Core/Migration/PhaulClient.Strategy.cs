using Phaul.Rpc;

namespace Phaul;

// Which strategy runs: what was asked for, and what both ends support.
public sealed partial class PhaulClient
{
    private const string NoMemoryTracking =
        "the source's kernel does not track dirty memory (CRIU's mem_track is off: the kernel needs CONFIG_MEM_SOFT_DIRTY=y)";

    private async Task ChooseStrategyAsync(ICriu criu, MigrationRun run, CancellationToken cancellationToken)
    {
        run.RequestedStrategy = _options.Strategy;
        var candidates = StrategySelection.Candidates(_options.Strategy, _options.AllowFallback);
        var checkMemory = candidates.Any(StrategySelection.NeedsMemoryTracking);
        var checkPostCopy = candidates.Any(StrategySelection.NeedsPostCopy);
        var checkPremap = candidates.Any(StrategySelection.NeedsPremap);
        if (checkMemory || checkPostCopy || checkPremap)
            run.Enter(MigrationStep.CheckFeatures);
        var support = new StrategySupport(
            checkMemory ? await MemoryTrackingMissingAsync(criu, cancellationToken).ConfigureAwait(false) : [],
            checkPostCopy ? await PostCopyMissingAsync(cancellationToken).ConfigureAwait(false) : [],
            checkPremap ? await PremapMissingAsync(cancellationToken).ConfigureAwait(false) : []);

        var forecasts = await ForecastAsync(StrategySelection.Supported(_options.Strategy, _options.AllowFallback, support), cancellationToken)
            .ConfigureAwait(false);
        var autoChoice = forecasts is not null && _options.Strategy == MigrationStrategy.Auto
            ? ForecastChoice.Choose(forecasts.Strategies, _options.DowntimeTarget)
            : ((StrategyForecast Chosen, string Reason)?)null;
        var decision = StrategySelection.Decide(_options.Strategy, _options.AllowFallback, support, autoChoice?.Chosen.Strategy);
        run.Strategy = decision.Strategy;
        run.StrategyNote = decision.Note;
        if (decision.NoPreCopyReason is { } reason)
            run.StopReason = reason;
        if (forecasts is not null)
            run.Forecast = Explain(forecasts, decision, autoChoice?.Reason);
        Report(new(MigrationProgressKind.StrategyChosen) { Strategy = decision.Strategy, Detail = decision.Note });
        if (decision.Note is null)
            _logger.StrategyChosen(_config.Pid, decision.Strategy, _options.Strategy);
        else
            _logger.StrategyFellBack(_config.Pid, decision.Strategy, _options.Strategy, decision.Note);
    }

    private static async Task<IReadOnlyList<string>> MemoryTrackingMissingAsync(ICriu criu, CancellationToken cancellationToken)
    {
        var answer = await criu.FeatureCheckAsync(new CriuFeatures { MemTrack = true }, cancellationToken).ConfigureAwait(false);
        return answer.MemTrack ? [] : [NoMemoryTracking];
    }

    /// <summary>
    /// What post-copy lacks: the source needs pipes large enough for CRIU's lazy page server (a lazy dump needs
    /// no userfaultfd), both ends need the post-copy variant of their half, and the destination must say yes.
    /// </summary>
    private async Task<IReadOnlyList<string>> PostCopyMissingAsync(CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        if (_dependencies.PipeSizeCheck() is { } pipes)
            missing.Add(pipes);
        if (_local is not IPhaulPostCopyLocal)
            missing.Add($"the source's final stage ({_local.GetType().Name}) has no post-copy variant ({nameof(IPhaulPostCopyLocal)})");
        if (_remote is not IPhaulPostCopyRemote remote)
        {
            missing.Add($"the destination ({_remote.GetType().Name}) cannot take a lazy iteration ({nameof(IPhaulPostCopyRemote)})");
            return missing;
        }
        if (await remote.WhyPostCopyUnavailableAsync(cancellationToken).ConfigureAwait(false) is { } obstacle)
            missing.Add(obstacle);
        return missing;
    }

    /// <summary>
    /// Whether the destination's memory accounting lets CRIU map this tree for a restore that premaps it
    /// (<see cref="PremapRule"/>): the destination reports its settings, the source knows the tree's mappings.
    /// </summary>
    private async Task<IReadOnlyList<string>> PremapMissingAsync(CancellationToken cancellationToken)
    {
        if (_remote is not IDestinationMemoryReport report)
        {
            _logger.PremapNotChecked(_config.Pid, "the destination does not report its memory accounting (IDestinationMemoryReport)");
            return [];
        }
        var destination = await report.ReadDestinationMemoryAsync(cancellationToken).ConfigureAwait(false);
        var tree = _dependencies.ReadTreeMappings(_config.Pid);
        if (destination is null || tree is null)
        {
            _logger.PremapNotChecked(_config.Pid, destination is null ? "the destination could not read its settings" : "the tree's mappings could not be read");
            return [];
        }
        _logger.PremapChecked(_config.Pid, destination.OvercommitMemory, destination.RamAndSwapBytes, destination.CommitLimitBytes,
                              destination.CommittedBytes, tree.LargestBytes, tree.LargestPid, tree.TotalBytes);
        return PremapRule.WhyCannotPremap(destination, tree) is { } obstacle ? [obstacle] : [];
    }
}
