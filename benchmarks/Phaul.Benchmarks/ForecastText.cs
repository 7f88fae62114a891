using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>Phaul's forecast for the strategy that ran, next to what the workload saw: how far off the prediction was.</summary>
internal static class ForecastText
{
    public static string? Describe(MigrationReport report, TimeSpan downtime, TimeSpan wallTime)
    {
        if (report.Forecast is not { } forecast || forecast.For(report.Strategy) is not { } predicted)
            return null;
        var link = forecast switch
        {
            { LinkRoundTrip: null } => "no link",
            { LinkBytesPerSecond: { } bandwidth } => string.Create(CultureInfo.InvariantCulture,
                $"link {bandwidth / 1e6:F0} MB/s, round trip {forecast.LinkRoundTrip.Value.TotalMilliseconds:F2} ms"),
            _ => string.Create(CultureInfo.InvariantCulture, $"link round trip {forecast.LinkRoundTrip.Value.TotalMilliseconds:F2} ms"),
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"{report.Strategy}: predicted downtime {predicted.Downtime.TotalMilliseconds:F0} ms ({Error(predicted.Downtime, downtime)}), " +
            $"total {predicted.TotalTime.TotalMilliseconds:F0} ms ({Error(predicted.TotalTime, wallTime)}) from {forecast.MemoryBytes >> 20} MiB, {link}");
    }

    private static string Error(TimeSpan predicted, TimeSpan measured) =>
        string.Create(CultureInfo.InvariantCulture, $"{(predicted / measured - 1) * 100:+0;-0}%");
}
