using System.Text.Json.Serialization;
using Phaul.Rpc;

namespace Phaul;

/// <summary>CRIU's statistics of one dump or pre-dump (its <c>stats-dump</c> file).</summary>
public sealed record DumpStatistics
{
    /// <summary>Pages CRIU looked at.</summary>
    public ulong PagesScanned { get; init; }

    /// <summary>Pages CRIU sent (to the page server or the images).</summary>
    public ulong PagesWritten { get; init; }

    /// <summary>Pages CRIU did not send because the parent iteration already had them unchanged.</summary>
    public ulong PagesSkippedParent { get; init; }

    /// <summary>Pages left to be fetched on demand (post-copy).</summary>
    public ulong PagesLazy { get; init; }

    /// <summary>Time taken to freeze the tree.</summary>
    public TimeSpan FreezingTime { get; init; }

    /// <summary>Time the tree was frozen.</summary>
    public TimeSpan FrozenTime { get; init; }

    /// <summary>Time spent collecting memory pages.</summary>
    public TimeSpan MemdumpTime { get; init; }

    /// <summary>Time spent writing memory pages out.</summary>
    public TimeSpan MemwriteTime { get; init; }

    /// <summary>
    /// The share (0 to 1) of pages skipped because the parent had them, out of the pages written
    /// plus skipped; 0 when there were none.
    /// </summary>
    [JsonIgnore]
    public double SkippedParentShare =>
        PagesWritten + PagesSkippedParent == 0 ? 0 : (double)PagesSkippedParent / (PagesWritten + PagesSkippedParent);

    /// <summary>Converts CRIU's statistics entry (times in microseconds).</summary>
    /// <param name="entry">The <c>dump</c> entry of a <c>stats-dump</c> file.</param>
    public static DumpStatistics FromCriu(DumpStatsEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new DumpStatistics
        {
            PagesScanned = entry.PagesScanned,
            PagesWritten = entry.PagesWritten,
            PagesSkippedParent = entry.PagesSkippedParent,
            PagesLazy = entry.PagesLazy,
            FreezingTime = TimeSpan.FromMicroseconds(entry.FreezingTime),
            FrozenTime = TimeSpan.FromMicroseconds(entry.FrozenTime),
            MemdumpTime = TimeSpan.FromMicroseconds(entry.MemdumpTime),
            MemwriteTime = TimeSpan.FromMicroseconds(entry.MemwriteTime),
        };
    }
}
