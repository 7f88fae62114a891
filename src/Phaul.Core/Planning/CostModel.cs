namespace Phaul;

/// <summary>
/// What a migration costs, as functions of the tree's memory, the link and the dirty rate: the fixed costs of CRIU's
/// freeze, dump and restore, and the costs that grow with memory. The defaults were measured on the project's
/// reference machine (2 cores, CRIU 4.2.1, loopback) with benchmarks/Phaul.Benchmarks, as power laws fitted over
/// 4 MiB to 4 GiB: writing and restoring pages grow a little faster than the memory (fresh memory costs more to
/// fault in than memory the kernel just freed), the lazy-pages daemon's filling a little slower (its per-round costs
/// weigh more on a small tree).
/// </summary>
internal sealed record CostModel
{
    private const double GiB = 1 << 30;

    /// <summary>A stop-and-copy of a tiny tree in one process: freeze, dump of everything but the pages, restore, hand-over.</summary>
    public TimeSpan StopAndCopyFixed { get; init; } = TimeSpan.FromMilliseconds(55);

    /// <summary>What a link adds inside a stop-and-copy's freeze apart from the pages: the image files, the hand-over's messages.</summary>
    public TimeSpan StopAndCopyOverLink { get; init; } = TimeSpan.FromMilliseconds(13);

    /// <summary>A post-copy of a tiny tree in one process: freeze, lazy dump, lazy-pages daemon ready, lazy restore.</summary>
    public TimeSpan PostCopyFixed { get; init; } = TimeSpan.FromMilliseconds(72);

    /// <summary>What a link adds inside a post-copy's freeze: the image files, the daemon's first requests through the relays.</summary>
    public TimeSpan PostCopyOverLink { get; init; } = TimeSpan.FromMilliseconds(15);

    /// <summary>What happens before the freeze whatever the strategy: checks, CRIU's start, the tree's measurements.</summary>
    public TimeSpan Setup { get; init; } = TimeSpan.FromMilliseconds(70);

    /// <summary>What a link adds before the freeze: the destination's checks, the round-trip probe.</summary>
    public TimeSpan SetupOverLink { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>The link's bandwidth probe, when it ran.</summary>
    public TimeSpan BandwidthProbe { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A pre-dump's cost apart from its pages (freeze, parasite, page map).</summary>
    public TimeSpan PreDumpFixed { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>
    /// CRIU writing 1 GiB of pages into a page server on the same host: the dump's side of the page stream, which runs
    /// alongside the link's (the slower of the two sets the pace).
    /// </summary>
    public PowerLaw PageWrite { get; init; } = new(TimeSpan.FromMilliseconds(1350), 1.14);

    /// <summary>CRIU restoring 1 GiB of pages from images (mapping and filling fresh memory).</summary>
    public PowerLaw PageRestore { get; init; } = new(TimeSpan.FromMilliseconds(4650), 1.16);

    /// <summary>The lazy dump's walk over 1 GiB of page map while the tree is frozen.</summary>
    public PowerLaw LazyScan { get; init; } = new(TimeSpan.FromMilliseconds(85), 1.0);

    /// <summary>
    /// The lazy-pages daemon filling 1 GiB of faulted and background pages with no network between; alongside the
    /// link's share (the slower of the two sets the pace).
    /// </summary>
    public PowerLaw LazyFill { get; init; } = new(TimeSpan.FromMilliseconds(1020), 0.82);

    /// <summary>
    /// The same across a link: each side's relay and the daemon's request-answer round trips cost more than the
    /// bytes, so on a fast link this, not the bandwidth, sets the pace.
    /// </summary>
    public PowerLaw LazyFillOverLink { get; init; } = new(TimeSpan.FromMilliseconds(4300), 0.85);

    /// <summary>
    /// How much slower than the link's burst bandwidth lazy pages cross a link that is the bottleneck: the daemon's
    /// background requests keep it nearly full.
    /// </summary>
    public double LazyLinkFactor { get; init; } = 1.2;

    /// <summary>Request-answer round trips inside a stop-and-copy's freeze (start, restore, hand-over).</summary>
    public int StopAndCopyRoundTrips { get; init; } = 4;

    /// <summary>Request-answer round trips inside a post-copy's freeze (start, lazy pages, restore, first faults).</summary>
    public int PostCopyRoundTrips { get; init; } = 6;

    public static CostModel Default { get; } = new();

    /// <summary>Streaming <paramref name="bytes"/> of pages from a dump to the destination: CRIU's writing and the link's carrying, side by side.</summary>
    public TimeSpan PageStream(double bytes, LinkMeasurement? link) => Max(PageWrite.Of(bytes), Cross(bytes, link));

    /// <summary>Filling <paramref name="bytes"/> of pages lazily after the resume: the daemon's work and the link's round trips, side by side.</summary>
    public TimeSpan LazyStream(double bytes, LinkMeasurement? link) =>
        link is null ? LazyFill.Of(bytes) : Max(LazyFillOverLink.Of(bytes), Cross(bytes, link) * LazyLinkFactor);

    /// <summary>Before the freeze, with or without a link.</summary>
    public TimeSpan SetupWith(LinkMeasurement? link) => link switch
    {
        null => Setup,
        { BytesPerSecond: null } => Setup + SetupOverLink,
        _ => Setup + SetupOverLink + BandwidthProbe,
    };

    /// <summary>A post-copy's fixed downtime, with or without a link.</summary>
    public TimeSpan PostCopyFixedWith(LinkMeasurement? link) => link is null ? PostCopyFixed : PostCopyFixed + PostCopyOverLink;

    /// <summary>A stop-and-copy's fixed downtime, with or without a link.</summary>
    public TimeSpan StopAndCopyFixedWith(LinkMeasurement? link) => link is null ? StopAndCopyFixed : StopAndCopyFixed + StopAndCopyOverLink;

    /// <summary>Sending <paramref name="bytes"/> over the link, or nothing without one or without its bandwidth measured.</summary>
    public static TimeSpan Cross(double bytes, LinkMeasurement? link) =>
        link?.BytesPerSecond is > 0 and var bytesPerSecond ? TimeSpan.FromSeconds(bytes / bytesPerSecond) : TimeSpan.Zero;

    public static TimeSpan RoundTrips(int count, LinkMeasurement? link) => (link?.RoundTrip ?? TimeSpan.Zero) * count;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A cost that grows as a power of the memory: <c>AtOneGiB * (bytes / 1 GiB)^Exponent</c>.</summary>
    public sealed record PowerLaw(TimeSpan AtOneGiB, double Exponent)
    {
        public TimeSpan Of(double bytes) => bytes <= 0 ? TimeSpan.Zero : AtOneGiB * Math.Pow(bytes / GiB, Exponent);
    }
}
