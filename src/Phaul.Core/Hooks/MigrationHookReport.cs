using System.Collections.ObjectModel;

namespace Phaul;

/// <summary>One phase of one <see cref="IMigrationHook"/>: which, when, how long, and the figures it returned.</summary>
public sealed record MigrationHookReport
{
    /// <summary>The hook's <see cref="IMigrationHook.Name"/>.</summary>
    public string Hook { get; init; } = "";

    /// <summary>When it ran.</summary>
    public MigrationHookPhase Phase { get; init; }

    /// <summary>The pre-dump iteration it followed (<see cref="MigrationHookPhase.AfterPreDump"/> only).</summary>
    public int? Iteration { get; init; }

    /// <summary>
    /// How long it took. For <see cref="MigrationHookPhase.WhileFrozen"/> this is time the tree stood frozen on top of
    /// the dump and restore.
    /// </summary>
    public TimeSpan Duration { get; init; }

    /// <summary>What the hook counted (e.g. filesTransferred, bytesSent); empty when it counted nothing.</summary>
    public IReadOnlyDictionary<string, long> Figures { get; init; } = ReadOnlyDictionary<string, long>.Empty;

    /// <summary>Equal when every property is, the figures compared by content.</summary>
    /// <param name="other">The other report.</param>
    public bool Equals(MigrationHookReport? other) =>
        other is not null && Hook == other.Hook && Phase == other.Phase && Iteration == other.Iteration && Duration == other.Duration &&
        Figures.Count == other.Figures.Count &&
        Figures.All(figure => other.Figures.TryGetValue(figure.Key, out var value) && value == figure.Value);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Hook, Phase, Iteration, Duration, Figures.Count);
}
