namespace Phaul;

/// <summary>
/// The names under which Phaul publishes traces (an <see cref="System.Diagnostics.ActivitySource"/>) and metrics
/// (a <see cref="System.Diagnostics.Metrics.Meter"/>): subscribe with OpenTelemetry's <c>AddSource</c> and
/// <c>AddMeter</c>. A migration is a <c>phaul.migrate</c> span with a child span per step; the metrics are
/// <c>phaul.migration.duration</c>, <c>phaul.migration.downtime</c> (seconds), <c>phaul.migration.pages</c>,
/// <c>phaul.migration.failures</c> and, on a destination, <c>phaul.destination.sessions</c> and
/// <c>phaul.destination.sessions.active</c>.
/// </summary>
internal static class PhaulDiagnostics
{
    /// <summary>The name of Phaul's activity source and of its meter.</summary>
    public const string Name = "Phaul";
}
