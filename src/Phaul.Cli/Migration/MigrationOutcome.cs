using Phaul.Transport;

namespace Phaul.Cli.Migration;

/// <summary>
/// A migration after which the tree runs on the destination: the core's report, or, when the
/// migration was interrupted or failed after the destination had restored the tree (ending the
/// last iteration), why there is no report.
/// </summary>
/// <param name="Pid">The tree's root on the source.</param>
/// <param name="Report">The migration core's report; null when <paramref name="Incomplete"/> says why there is none.</param>
/// <param name="Restored">The destination's answer (restored pid, image files sent); null when it gave none.</param>
/// <param name="Destination">The destination's address.</param>
/// <param name="Incomplete">What went wrong after the restore, or null.</param>
internal sealed record MigrationOutcome(int Pid, MigrationReport? Report, RestoredTree? Restored, string Destination, string? Incomplete = null)
{
    /// <summary>The restored tree's root on the destination, when known.</summary>
    public int? RestoredPid => Report?.RestoredPid ?? Restored?.Pid;
}
