namespace Phaul.PreCopyLane;

/// <summary>What the lane runs on, for the head of its output: the figures depend on it.</summary>
internal static class LaneEnvironment
{
    public static string Describe() =>
        $"kernel {Read("/proc/sys/kernel/osrelease")}, transparent huge pages {Selected(Read("/sys/kernel/mm/transparent_hugepage/enabled"))}, " +
        $"CRIU {Environment.GetEnvironmentVariable("PHAUL_CRIU") ?? "criu on PATH"}, {Environment.ProcessorCount} CPUs";

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    // The kernel lists every mode and brackets the one in use: "always madvise [never]".
    private static string Selected(string modes) =>
        modes.IndexOf('[', StringComparison.Ordinal) is var open and >= 0 && modes.IndexOf(']', open) is var close and > 0
            ? modes[(open + 1)..close]
            : modes;
}
