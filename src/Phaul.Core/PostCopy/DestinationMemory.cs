using System.Globalization;

namespace Phaul;

/// <summary>
/// The destination's virtual-memory accounting, as the kernel applies it to a new private writable mapping:
/// <c>vm.overcommit_memory</c> (0 heuristic, 1 always, 2 strict), RAM + swap (the heuristic's limit for one
/// mapping), and CommitLimit and Committed_AS (the strict mode's limit for everything committed).
/// </summary>
/// <param name="OvercommitMemory">The value of <c>/proc/sys/vm/overcommit_memory</c>.</param>
/// <param name="RamAndSwapBytes">MemTotal + SwapTotal from <c>/proc/meminfo</c>.</param>
/// <param name="CommitLimitBytes">CommitLimit from <c>/proc/meminfo</c>.</param>
/// <param name="CommittedBytes">Committed_AS from <c>/proc/meminfo</c>.</param>
internal sealed record DestinationMemory(int OvercommitMemory, long RamAndSwapBytes, long CommitLimitBytes, long CommittedBytes)
{
    public const int Heuristic = 0;
    public const int Always = 1;
    public const int Strict = 2;

    /// <summary>This host's settings; <see langword="null"/> when /proc cannot be read (then nothing is judged).</summary>
    public static DestinationMemory? ReadLocal()
    {
        try
        {
            return Parse(File.ReadAllText("/proc/sys/vm/overcommit_memory"), File.ReadAllText("/proc/meminfo"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Reads the settings from the contents of <c>/proc/sys/vm/overcommit_memory</c> and <c>/proc/meminfo</c>.</summary>
    /// <exception cref="FormatException">A value is missing or not a number.</exception>
    public static DestinationMemory Parse(string overcommitMemory, string meminfo)
    {
        var fields = meminfo.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                            .Select(line => line.Split(':', 2))
                            .Where(parts => parts.Length == 2)
                            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim(), StringComparer.Ordinal);
        return new DestinationMemory(int.Parse(overcommitMemory.Trim(), CultureInfo.InvariantCulture),
                                     Kilobytes(fields, "MemTotal") + Kilobytes(fields, "SwapTotal"),
                                     Kilobytes(fields, "CommitLimit"), Kilobytes(fields, "Committed_AS"));
    }

    /// <summary>The setting's name and value as a sysctl user reads it, e.g. "vm.overcommit_memory = 0 (heuristic)".</summary>
    public string Setting => $"vm.overcommit_memory = {OvercommitMemory} ({ModeName(OvercommitMemory)})";

    /// <summary>The fix for a destination that cannot premap a tree (<c>PremapRule</c>), as the user types it there.</summary>
    public const string Fix = "sysctl vm.overcommit_memory=1";

    /// <summary>What the destination's setting means for post-copy, for <c>phaul check</c>; <c>Ok</c> when it restores any tree lazily.</summary>
    public (bool Ok, string Text) DescribeForPostCopy() => OvercommitMemory switch
    {
        Always => (true, $"{Setting}: post-copy and hybrid can restore any tree here, also one with large " +
                         "address-space reservations (.NET, Java)"),
        Heuristic => (false, $"{Setting}: post-copy and hybrid cannot restore here a tree with a private mapping " +
                             $"larger than RAM + swap ({Gibibytes(RamAndSwapBytes)}), which every .NET process has; " +
                             $"migrations of such trees use stop-and-copy; fix: {Fix}"),
        _ => (false, $"{Setting}: post-copy and hybrid can restore here only a tree whose private mappings fit under CommitLimit " +
                     $"({Gibibytes(CommitLimitBytes)}, {Gibibytes(CommittedBytes)} committed); migrations of other trees use " +
                     $"stop-and-copy; fix: {Fix}"),
    };

    /// <summary>A size as the rule's messages give it.</summary>
    public static string Gibibytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.0} GiB");

    private static string ModeName(int mode) => mode switch
    {
        Heuristic => "heuristic",
        Always => "always overcommit",
        Strict => "strict accounting",
        _ => "unknown mode",
    };

    private static long Kilobytes(Dictionary<string, string> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
            throw new FormatException($"/proc/meminfo has no {name} line");
        return long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture) * 1024;
    }
}
