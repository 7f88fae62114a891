using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>Converts the lazy-pages daemon's figures to and from their wire form.</summary>
internal static class LazyPagesWire
{
    public static LazyPages ToWire(LazyPagesStatistics statistics)
    {
        var wire = new LazyPages();
        if (statistics.PagesToFetch is { } toFetch)
            wire.PagesToFetch = toFetch;
        if (statistics.PagesTransferred is { } transferred)
            wire.PagesTransferred = transferred;
        if (statistics.PagesOnDemand is { } onDemand)
            wire.PagesOnDemand = onDemand;
        if (statistics.RestoreTime is { } restore)
            wire.RestoreTimeUs = (long)restore.TotalMicroseconds;
        if (statistics.LastPageAfterResume is { } lastPage)
            wire.LastPageAfterResumeUs = (long)lastPage.TotalMicroseconds;
        return wire;
    }

    public static LazyPagesStatistics FromWire(LazyPages? wire) =>
        wire is null
            ? new LazyPagesStatistics()
            : new LazyPagesStatistics
            {
                PagesToFetch = wire.HasPagesToFetch ? wire.PagesToFetch : null,
                PagesTransferred = wire.HasPagesTransferred ? wire.PagesTransferred : null,
                PagesOnDemand = wire.HasPagesOnDemand ? wire.PagesOnDemand : null,
                RestoreTime = wire.HasRestoreTimeUs ? TimeSpan.FromMicroseconds(wire.RestoreTimeUs) : null,
                LastPageAfterResume = wire.HasLastPageAfterResumeUs ? TimeSpan.FromMicroseconds(wire.LastPageAfterResumeUs) : null,
            };
}
