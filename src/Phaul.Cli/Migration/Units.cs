using System.Globalization;

namespace Phaul.Cli.Migration;

/// <summary>Pages, bytes and durations as people read them, the same on every locale.</summary>
internal static class Units
{
    private const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;

    public static string Pages(ulong pages) =>
        string.Create(CultureInfo.InvariantCulture, $"{pages:N0} pages ({Bytes(pages * (ulong)Environment.SystemPageSize)})");

    public static string Bytes(double bytes) => bytes switch
    {
        >= GiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / GiB:0.00} GiB"),
        >= MiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / MiB:0.0} MiB"),
        >= KiB => string.Create(CultureInfo.InvariantCulture, $"{bytes / KiB:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B"),
    };

    public static string Duration(TimeSpan duration) => duration < TimeSpan.FromSeconds(1)
        ? string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:0} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.00} s");

    /// <summary>A round trip, which on a local network is a fraction of a millisecond.</summary>
    public static string RoundTrip(TimeSpan roundTrip) => roundTrip < TimeSpan.FromMilliseconds(10)
        ? string.Create(CultureInfo.InvariantCulture, $"{roundTrip.TotalMilliseconds:0.00} ms")
        : Duration(roundTrip);

    public static string Count(long count) => string.Create(CultureInfo.InvariantCulture, $"{count:N0}");
}
