namespace Phaul;

/// <summary>The link between source and destination as measured on the migration's own connection, before the strategy is chosen.</summary>
/// <param name="BytesPerSecond">How fast a burst of bytes crossed the control connection (encryption included); null when not measured.</param>
/// <param name="RoundTrip">The shortest of a few request-answer round trips.</param>
internal sealed record LinkMeasurement(double? BytesPerSecond, TimeSpan RoundTrip);
