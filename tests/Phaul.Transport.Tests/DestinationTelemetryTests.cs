using System.Diagnostics.Metrics;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

[CollectionDefinition(DisableParallelization = true)]
public sealed class DestinationMetrics;

/// <summary>
/// The destination's sessions as metrics: the active count rises and falls, and an ended session is counted by
/// outcome. Runs alone, since the meter is process-wide and other tests open sessions.
/// </summary>
[Collection(typeof(DestinationMetrics))]
public sealed class DestinationTelemetryTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly MeterListener _meters = new();
    private readonly List<(string Name, long Value, string? Outcome)> _measurements = [];

    public DestinationTelemetryTests()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PhaulDiagnostics.Name && instrument.Name.StartsWith("phaul.destination.", StringComparison.Ordinal))
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "phaul.outcome")
                    outcome = tag.Value as string;
            }
            lock (_measurements)
                _measurements.Add((instrument.Name, value, outcome));
        });
        _meters.Start();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_the_source_leaves_is_active_while_it_runs_then_counted_as_failed()
    {
        await using var destination = new FakeDestination(TestKeys.Shared);
        var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.Remote.StartIterAsync(Ct);

        Assert.Equal([("phaul.destination.sessions.active", 1L, (string?)null)], Measurements());
        await connection.DisposeAsync();
        await destination.SessionEnded.WaitAsync(Patience, Ct);

        Assert.Equal([("phaul.destination.sessions.active", 1L, (string?)null), ("phaul.destination.sessions.active", -1L, null),
                      ("phaul.destination.sessions", 1L, "failed")], Measurements());
    }

    private List<(string Name, long Value, string? Outcome)> Measurements()
    {
        lock (_measurements)
            return [.. _measurements];
    }

    public void Dispose() => _meters.Dispose();
}
