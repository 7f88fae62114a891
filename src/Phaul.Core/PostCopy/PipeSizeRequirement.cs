using System.Globalization;

namespace Phaul;

/// <summary>
/// The source's part of post-copy: CRIU's lazy page server moves pages through a pipe it grows to 4 MiB
/// (819 pages, which the kernel rounds up to 1024). Without CAP_SYS_RESOURCE, and with
/// <c>fs.pipe-max-size</c> below that, growing it fails, CRIU does not notice, and the transfer fails
/// later with <c>page-pipe: splice: Bad file descriptor</c>.
/// </summary>
internal static class PipeSizeRequirement
{
    /// <summary>The pipe size CRIU's lazy page server asks for, after the kernel's rounding.</summary>
    public const long RequiredBytes = 4L * 1024 * 1024;

    private const int CapSysResource = 24;

    /// <summary>Why this machine cannot serve lazy pages, or <see langword="null"/> when it can.</summary>
    public static string? WhyInsufficient()
    {
        try
        {
            return Evaluate(File.ReadAllText("/proc/sys/fs/pipe-max-size"), File.ReadAllText("/proc/self/status"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the source's pipe size limit cannot be read ({e.Message}); CRIU's lazy page server needs {RequiredBytes} bytes";
        }
    }

    /// <summary>Judges the contents of /proc/sys/fs/pipe-max-size and /proc/self/status.</summary>
    public static string? Evaluate(string pipeMaxSize, string status)
    {
        if (HasCapability(status, CapSysResource))
            return null;
        var limit = long.Parse(pipeMaxSize.Trim(), CultureInfo.InvariantCulture);
        return limit >= RequiredBytes
            ? null
            : $"the source's fs.pipe-max-size is {limit} bytes and CRIU lacks CAP_SYS_RESOURCE, but CRIU's lazy page server needs " +
              $"{RequiredBytes}-byte pipes (fix: sysctl -w fs.pipe-max-size=8388608, or echo 8388608 > /proc/sys/fs/pipe-max-size)";
    }

    private static bool HasCapability(string status, int capability)
    {
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null
               && ulong.TryParse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var effective)
               && (effective & (1UL << capability)) != 0;
    }
}
