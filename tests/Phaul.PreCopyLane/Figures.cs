using System.Globalization;

namespace Phaul.PreCopyLane;

/// <summary>How the lane prints numbers: invariant, with thousands separators.</summary>
internal static class Figures
{
    public static string Count(ulong value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A size in MiB with one decimal, or under 1 MiB in whole KiB.</summary>
    public static string Size(long bytes) =>
        bytes >= 1024 * 1024
            ? (bytes / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
            : (bytes / 1024.0).ToString("N0", CultureInfo.InvariantCulture) + " KiB";

    public static string Share(ulong part, ulong whole) =>
        whole == 0 ? "-" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);

    public static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("N0", CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
