namespace Phaul.IntegrationTests.PostCopy;

/// <summary>What the report of a post-copy migration that moved every page must say, wherever the destination ran.</summary>
internal static class PostCopyFigures
{
    /// <summary>Asserts real figures for a workload of <paramref name="memoryMiB"/> MiB; returns the post-copy part.</summary>
    public static PostCopyReport AssertReal(MigrationReport report, int memoryMiB)
    {
        Assert.Null(report.FinalDump); // a lazy dump's stats-dump holds zeros: none is reported
        Assert.IsType<RestoreStatistics>(report.Restore);
        var postCopy = Assert.IsType<PostCopyReport>(report.PostCopy);
        Assert.InRange(postCopy.FreezeToResume!.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(20));
        Assert.True(postCopy.FreezeToResume > postCopy.Restore);
        Assert.True(postCopy.FreezeToImagesWritten > TimeSpan.Zero);
        Assert.True(postCopy.ImagesToDaemonReady > TimeSpan.Zero);
        var pages = postCopy;
        var memoryPages = (ulong)memoryMiB * 256;
        Assert.True(pages.PagesTransferred >= memoryPages, $"{pages.PagesTransferred} pages transferred for {memoryMiB} MiB");
        Assert.Equal(pages.PagesToFetch, pages.PagesTransferred);
        Assert.True(pages.PagesOnDemand >= 1, "the restored tree touched no page before it arrived");
        Assert.True(pages.PagesInBackground > pages.PagesOnDemand);
        Assert.True(pages.LastPageAfterResume > TimeSpan.Zero);
        Assert.True(report.FinalStageDuration > postCopy.FreezeToResume);
        return postCopy;
    }
}
