using Phaul.Rpc;

namespace Phaul.Core.Tests.Images;

/// <summary>Statistics with every proto2-required field set, as CRIU writes them.</summary>
internal static class StatsSamples
{
    public static DumpStatsEntry Dump(ulong pagesWritten = 3096) => new()
    {
        FreezingTime = 1500, FrozenTime = 42000, MemdumpTime = 300, MemwriteTime = 200,
        PagesScanned = 4096, PagesSkippedParent = 1000, PagesWritten = pagesWritten, PagesLazy = 0,
    };

    public static RestoreStatsEntry Restore() => new()
    {
        PagesCompared = 10, PagesSkippedCow = 2, ForkingTime = 800, RestoreTime = 51000, PagesRestored = 3096,
    };
}
