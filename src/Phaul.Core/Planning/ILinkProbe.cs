namespace Phaul;

/// <summary>
/// A destination across a network that lets the source measure the link before the strategy is chosen. Internal: the
/// transport's proxy implements it; a destination in this process has no link to measure.
/// </summary>
internal interface ILinkProbe
{
    /// <summary>Measures the link's round trip and, when asked, its bandwidth on the migration's connection.</summary>
    /// <param name="bandwidth">Whether to measure the bandwidth too: it sends megabytes, so only when a choice depends on it.</param>
    /// <param name="cancellationToken">Abandons the measurement.</param>
    Task<LinkMeasurement> MeasureLinkAsync(bool bandwidth, CancellationToken cancellationToken);
}
