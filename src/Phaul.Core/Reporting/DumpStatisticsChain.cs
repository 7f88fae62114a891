namespace Phaul;

/// <summary>
/// Turns the statistics of one CRIU pre-dump chain back into per-dump figures. A prepared swrk session
/// serves every pre-dump and then the final dump (CRIU's pre-dump loop), each in a child process whose
/// counters live in shared memory that the next child takes over without clearing them (since CRIU 3.13,
/// seen with 4.2.1): the stats-dump file of a chain's k-th dump holds the sums over its first k dumps.
/// </summary>
/// <remarks>
/// A file whose counters are below the previous sum's cannot be part of the same chain (e.g. a final dump
/// run in a session of its own): it is taken as it is. After a dump without statistics the next one cannot
/// be told apart from it, so it has no statistics either.
/// </remarks>
internal sealed class DumpStatisticsChain
{
    private DumpStatistics? _sum = new();

    /// <summary>The statistics of the chain's next dump, given what CRIU wrote for it.</summary>
    /// <param name="written">The dump's stats-dump file, or null when CRIU left none.</param>
    public DumpStatistics? Next(DumpStatistics? written)
    {
        var sum = _sum;
        if (written is null || sum is null)
        {
            _sum = written;
            return null;
        }
        if (!Continues(written, sum))
            return written;
        _sum = written;
        return new DumpStatistics
        {
            PagesScanned = written.PagesScanned - sum.PagesScanned,
            PagesWritten = written.PagesWritten - sum.PagesWritten,
            PagesSkippedParent = written.PagesSkippedParent - sum.PagesSkippedParent,
            PagesLazy = written.PagesLazy - sum.PagesLazy,
            FreezingTime = Since(written.FreezingTime, sum.FreezingTime),
            FrozenTime = Since(written.FrozenTime, sum.FrozenTime),
            MemdumpTime = Since(written.MemdumpTime, sum.MemdumpTime),
            MemwriteTime = Since(written.MemwriteTime, sum.MemwriteTime),
        };
    }

    private static bool Continues(DumpStatistics written, DumpStatistics sum) =>
        written.PagesScanned >= sum.PagesScanned && written.PagesWritten >= sum.PagesWritten &&
        written.PagesSkippedParent >= sum.PagesSkippedParent && written.PagesLazy >= sum.PagesLazy;

    private static TimeSpan Since(TimeSpan sum, TimeSpan earlierSum) =>
        sum > earlierSum ? sum - earlierSum : TimeSpan.Zero;
}
