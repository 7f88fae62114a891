using Phaul.Rpc;

namespace Phaul;

/// <summary>CRIU's statistics of a restore (its <c>stats-restore</c> file).</summary>
public sealed record RestoreStatistics
{
    /// <summary>Pages compared with what was already there.</summary>
    public ulong PagesCompared { get; init; }

    /// <summary>Pages not restored because they were shared copy-on-write.</summary>
    public ulong PagesSkippedCow { get; init; }

    /// <summary>Pages restored.</summary>
    public ulong PagesRestored { get; init; }

    /// <summary>Time spent forking the tree's processes.</summary>
    public TimeSpan ForkingTime { get; init; }

    /// <summary>Time the whole restore took.</summary>
    public TimeSpan RestoreTime { get; init; }

    /// <summary>Converts CRIU's statistics entry (times in microseconds).</summary>
    /// <param name="entry">The <c>restore</c> entry of a <c>stats-restore</c> file.</param>
    public static RestoreStatistics FromCriu(RestoreStatsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new RestoreStatistics
        {
            PagesCompared = entry.PagesCompared,
            PagesSkippedCow = entry.PagesSkippedCow,
            PagesRestored = entry.PagesRestored,
            ForkingTime = TimeSpan.FromMicroseconds(entry.ForkingTime),
            RestoreTime = TimeSpan.FromMicroseconds(entry.RestoreTime),
        };
    }
}
