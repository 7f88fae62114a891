using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>What a destination needs beyond the network: a PhaulServer per session and CRIU's restore statistics.</summary>
/// <param name="CreateTarget">Creates the session's server for its configuration.</param>
/// <param name="ReadRestoreStats">Reads CRIU's restore statistics from an images directory.</param>
internal sealed record DestinationServices(Func<PhaulConfig, IMigrationTarget> CreateTarget,
                                           Func<string, CancellationToken, Task<RestoreStatsEntry>> ReadRestoreStats)
{
    /// <summary>The real ones: Phaul.Core's PhaulServer and stats reader.</summary>
    public static DestinationServices Default { get; } = new(
        _ => throw new NotSupportedException("PhaulServer is not merged into this branch yet."),
        (_, _) => throw new NotSupportedException("The stats reader is not merged into this branch yet."));
}
