using Phaul.Transport;

namespace Phaul.Cli.Migration;

/// <summary>A finished migration: the core's report and what the destination said about the restored tree.</summary>
/// <param name="Report">The migration core's report.</param>
/// <param name="Restored">The destination's answer (restored pid, image files sent); null when it gave none.</param>
/// <param name="Destination">The destination's address.</param>
internal sealed record MigrationOutcome(MigrationReport Report, RestoredTree? Restored, string Destination);
