namespace Phaul.DemoWorkload;

/// <summary>What the workload last reported about itself.</summary>
/// <remarks>
/// <see cref="MaxGapMicroseconds"/> is the largest gap on the process's own CLOCK_MONOTONIC, which a
/// CRIU restore shifts (a new time namespace) to hide most of the time the tree was stopped;
/// <see cref="MaxWallGapMicroseconds"/> is on CLOCK_REALTIME, which no namespace shifts: the whole stop.
/// </remarks>
public sealed record WorkloadStatus(long Counter, long MaxGapMicroseconds, long BadWords, long VerifiedWords,
                                    long DirtiedPages, long MemoryWords)
{
    /// <summary>The largest gap between two turns by the wall clock (CLOCK_REALTIME): the downtime, restores included.</summary>
    public long MaxWallGapMicroseconds { get; init; }

    /// <summary>How many numbered lines it appended to its append file (0 without one).</summary>
    public long AppendedLines { get; init; }

    /// <summary>Parses the status file's key=value lines.</summary>
    public static WorkloadStatus Parse(string text)
    {
        var values = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                         .Select(line => line.Split('=', 2))
                         .Where(pair => pair.Length == 2)
                         .ToDictionary(pair => pair[0], pair => long.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture));
        return new WorkloadStatus(values["counter"], values["max_gap_us"], values["bad_words"],
                                  values["verified_words"], values["dirtied_pages"], values["memory_words"])
        {
            MaxWallGapMicroseconds = values["max_wall_gap_us"],
            AppendedLines = values.GetValueOrDefault("appended_lines"),
        };
    }
}
