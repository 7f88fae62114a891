using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Phaul.Transport;

/// <summary>The destination service's sessions as metrics, under <see cref="PhaulDiagnostics.Name"/>.</summary>
internal static class DestinationTelemetry
{
    private static readonly Meter Meter = new(PhaulDiagnostics.Name, typeof(DestinationTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly UpDownCounter<long> Active = Meter.CreateUpDownCounter<long>(
        "phaul.destination.sessions.active", "{session}", "Sessions the destination serves now.");
    private static readonly Counter<long> Ended = Meter.CreateCounter<long>(
        "phaul.destination.sessions", "{session}", "Sessions the destination ended, by outcome (restored, failed, ended).");

    public static void SessionStarted() => Active.Add(1);

    /// <param name="restored">Whether the session restored a tree that runs here.</param>
    /// <param name="error">Why it failed, if it did.</param>
    public static void SessionEnded(bool restored, Exception? error)
    {
        Active.Add(-1);
        var outcome = error is not null ? "failed" : restored ? "restored" : "ended";
        var tags = new TagList { { "phaul.outcome", outcome } };
        if (error is not null)
            tags.Add("error.type", error.GetType().Name);
        Ended.Add(1, tags);
    }
}
