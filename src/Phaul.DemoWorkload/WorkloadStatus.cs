namespace Phaul.DemoWorkload;

/// <summary>What the workload last reported about itself.</summary>
public sealed record WorkloadStatus(long Counter, long MaxGapMicroseconds, long BadWords, long VerifiedWords,
                                    long DirtiedPages, long MemoryWords)
{
    /// <summary>Parses the status file's key=value lines.</summary>
    public static WorkloadStatus Parse(string text)
    {
        var values = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                         .Select(line => line.Split('=', 2))
                         .Where(pair => pair.Length == 2)
                         .ToDictionary(pair => pair[0], pair => long.Parse(pair[1], System.Globalization.CultureInfo.InvariantCulture));
        return new WorkloadStatus(values["counter"], values["max_gap_us"], values["bad_words"],
                                  values["verified_words"], values["dirtied_pages"], values["memory_words"]);
    }
}
