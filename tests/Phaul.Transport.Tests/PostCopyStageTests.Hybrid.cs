using Phaul.Rpc;

namespace Phaul.Transport.Tests;

// Hybrid: before the lazy final dump the source fetches the page maps of its pre-dumps from the destination
// (CRIU decides "in the parent" from them), never their pages.
public sealed partial class PostCopyStageTests
{
    [Fact]
    public async Task The_page_maps_of_every_pre_dump_are_beside_the_lazy_dump_before_it_starts_and_the_pages_stay_on_the_destination()
    {
        _destination.Configure = target => target.Pages.SetResult(new LazyPagesStatistics { PagesTransferred = 3 });
        await ConnectAsync();
        var destination0 = await PreDumpAsync(pagesId: 1);
        var destination1 = await PreDumpAsync(pagesId: 2);
        var (source0, source1) = await SourcePreDumpsAsync();
        string[]? atDumpStart = null;
        _dump.Started = () => atDumpStart = [.. Names(source0), "|", .. Names(source1)];
        _dump.Served.SetResult();

        await LazyLocal.DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, source1, Ct).WaitAsync(Patience, Ct);

        Assert.Equal(["pagemap-1.img", "pages-1.img", "|", "pagemap-1.img", "pages-2.img", "parent"], atDumpStart!);
        Assert.Equal(File.ReadAllBytes(Path.Combine(destination0, "pagemap-1.img")), File.ReadAllBytes(Path.Combine(source0, "pagemap-1.img")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(destination1, "pagemap-1.img")), File.ReadAllBytes(Path.Combine(source1, "pagemap-1.img")));
        // The pages files are empty stand-ins: the 8 KiB of each pre-dump's pages never crossed back.
        Assert.Equal((0L, 0L), (new FileInfo(Path.Combine(source0, "pages-1.img")).Length, new FileInfo(Path.Combine(source1, "pages-2.img")).Length));
        Assert.Equal(("../1", true, true), (_dump.Options!.ParentImg, _dump.Options.TrackMem, _dump.Options.LazyPages));
        Assert.Equal(4343, Connection.Restored!.Pid);
    }

    [Fact]
    public async Task A_destination_with_fewer_pre_dumps_than_the_source_fails_the_migration_before_the_tree_is_frozen()
    {
        // Failure handled: the two ends' pre-dump chains disagree; the lazy dump would find no page map for the
        // oldest pre-dump and serve all its memory lazily again.
        await ConnectAsync();
        await PreDumpAsync(pagesId: 1);
        var (_, source1) = await SourcePreDumpsAsync();

        var error = await Assert.ThrowsAsync<TransportException>(
            () => LazyLocal.DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, source1, Ct)).WaitAsync(Patience, Ct);

        Assert.Equal((TransportSide.Destination, TransportPhase.ImageTransfer), (error.Side, error.Phase));
        Assert.Contains("could not send the page maps of pre-dump 2 back", error.Message);
        Assert.Contains("has fewer than 2 pre-dumps before it", error.Message);
        Assert.Null(_dump.Options);
        Assert.Empty(_signals);
    }

    [Fact]
    public async Task A_page_map_that_is_not_one_fails_the_migration_before_the_tree_is_frozen()
    {
        // Failure handled: the destination's page map is corrupt, so no pages file can be named for it.
        await ConnectAsync();
        await Connection.Remote.StartIterAsync(Ct);
        await File.WriteAllBytesAsync(Path.Combine(Target.LastImagesDir, "pagemap-1.img"), [1, 2, 3, 4, 5, 6, 7, 8, 9], Ct);
        await Connection.Remote.StopIterAsync(Ct);
        await LazyRemote.StartLazyIterAsync(Ct);
        var source0 = _source.CreateSubdirectory("0");

        var error = await Assert.ThrowsAsync<TransportException>(
            () => LazyLocal.DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, source0, Ct)).WaitAsync(Patience, Ct);

        Assert.Equal(TransportSide.Destination, error.Side);
        Assert.Contains("the destination sent a page map that is not one", error.Message);
        Assert.IsType<CriuImageFormatException>(error.InnerException);
        Assert.Null(_dump.Options);
        Assert.Empty(_signals);
    }

    [Fact]
    public async Task Page_maps_asked_for_in_a_plain_iteration_are_refused_by_the_destination_before_the_tree_is_frozen()
    {
        // Failure handled: a source out of step with the protocol (a hybrid's request while a page server runs).
        await ConnectAsync();
        await PreDumpAsync(pagesId: 1);
        await Connection.Remote.StartIterAsync(Ct);
        var source0 = _source.CreateSubdirectory("0");

        var error = await Assert.ThrowsAsync<TransportException>(
            () => LazyLocal.DumpCopyRestoreLazilyAsync(_dump.Criu.Object, Config, source0, Ct)).WaitAsync(Patience, Ct);

        Assert.Contains("ParentPageMaps while no lazy iteration is running", error.Message);
        Assert.Null(_dump.Options);
        Assert.Empty(_signals);
        Assert.Empty(Directory.EnumerateFileSystemEntries(source0));
    }

    private IPhaulPostCopyLocal LazyLocal => (IPhaulPostCopyLocal)Connection.Local;

    /// <summary>One pre-copy iteration as the destination's page server leaves it: a page map and 8 KiB of pages.</summary>
    private async Task<string> PreDumpAsync(uint pagesId)
    {
        await Connection.Remote.StartIterAsync(Ct);
        var directory = Target.LastImagesDir;
        await CriuImageWriter.WriteFileAsync(Path.Combine(directory, "pagemap-1.img"), CriuImageMagic.Pagemap,
                                             [new PagemapHead { PagesId = pagesId }], Ct);
        await File.WriteAllBytesAsync(Path.Combine(directory, $"pages-{pagesId}.img"), Enumerable.Repeat((byte)0xAB, 8192).ToArray(), Ct);
        await Connection.Remote.StopIterAsync(Ct);
        return directory;
    }

    /// <summary>Starts the destination's lazy iteration and lays out the source's two pre-dumps as CRIU leaves them: no page maps.</summary>
    private async Task<(string Source0, string Source1)> SourcePreDumpsAsync()
    {
        await LazyRemote.StartLazyIterAsync(Ct);
        var source0 = _source.CreateSubdirectory("0");
        var source1 = _source.CreateSubdirectory("1");
        File.CreateSymbolicLink(Path.Combine(source1, "parent"), "../0");
        return (source0, source1);
    }

    private static string[] Names(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
