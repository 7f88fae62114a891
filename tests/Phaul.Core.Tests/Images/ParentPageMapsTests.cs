using Phaul.Core.Tests.Migration;

namespace Phaul.Core.Tests.Images;

public class ParentPageMapsTests
{
    [Fact]
    public void The_destinations_page_maps_and_pages_of_every_pre_dump_are_linked_into_the_sources_matching_iteration()
    {
        using var root = new TempDirectory();
        // The destination: two pre-dumps through its page server, then the lazy iteration.
        var destination0 = Iteration(root, "destination/0", parent: null, "pagemap-1.img", "pages-1.img");
        Iteration(root, "destination/1", parent: "../0", "pagemap-1.img", "pages-2.img", "inventory.img");
        var destinationLazy = Iteration(root, "destination/2", parent: "../1");
        // The source: the same pre-dumps left only CRIU's log and statistics there.
        var source0 = Iteration(root, "source/0", parent: null, "stats-dump");
        var source1 = Iteration(root, "source/1", parent: "../0", "stats-dump");

        var linked = ParentPageMaps.LinkChain(source1, Path.Combine(destinationLazy, "parent"));

        Assert.Equal(4, linked);
        Assert.Equal(["pagemap-1.img", "pages-2.img", "parent", "stats-dump"], Names(source1));
        Assert.Equal(["pagemap-1.img", "pages-1.img", "stats-dump"], Names(source0));
        Assert.Equal("destination/1/pages-2.img", File.ReadAllText(Path.Combine(source1, "pages-2.img")));
        Assert.Equal("destination/0/pagemap-1.img", File.ReadAllText(Path.Combine(source0, "pagemap-1.img")));
        Assert.Equal(["pagemap-1.img", "pages-1.img"], Names(destination0));
    }

    [Fact]
    public void A_source_iteration_that_has_a_page_map_of_its_own_is_never_overwritten()
    {
        // Failure handled: a pre-dump that wrote its page map locally (no page server); linking over it would lose it.
        using var root = new TempDirectory();
        Iteration(root, "destination/0", parent: null, "pagemap-1.img");
        var destinationLazy = Iteration(root, "destination/1", parent: "../0");
        var source0 = Iteration(root, "source/0", parent: null, "pagemap-1.img");

        Assert.ThrowsAny<IOException>(() => ParentPageMaps.LinkChain(source0, Path.Combine(destinationLazy, "parent")));
        Assert.Equal("source/0/pagemap-1.img", File.ReadAllText(Path.Combine(source0, "pagemap-1.img")));
    }

    [Fact]
    public void Without_a_pre_dump_on_the_destination_nothing_is_linked()
    {
        // Failure handled: the destination's lazy iteration has no parent (no pre-dump reached it).
        using var root = new TempDirectory();
        var destinationLazy = Iteration(root, "destination/0", parent: null);
        var source0 = Iteration(root, "source/0", parent: null, "stats-dump");

        Assert.Equal(0, ParentPageMaps.LinkChain(source0, Path.Combine(destinationLazy, "parent")));
        Assert.Equal(["stats-dump"], Names(source0));
    }

    [Fact]
    public async Task Each_page_map_without_its_pages_gets_an_empty_stand_in_named_by_its_head()
    {
        // Page maps fetched from the destination: their pages stayed there, CRIU only needs a pages file to open.
        using var root = new TempDirectory();
        var iteration = root.Sub("source/1");
        await CriuImageWriter.WriteFileAsync(Path.Combine(iteration, "pagemap-1.img"), CriuImageMagic.Pagemap,
                                             [new Phaul.Rpc.PagemapHead { PagesId = 7 }], TestContext.Current.CancellationToken);
        await CriuImageWriter.WriteFileAsync(Path.Combine(iteration, "pagemap-shmem-9.img"), CriuImageMagic.Pagemap,
                                             [new Phaul.Rpc.PagemapHead { PagesId = 8 }], TestContext.Current.CancellationToken);
        File.WriteAllText(Path.Combine(iteration, "pages-8.img"), "pages of its own");

        var created = await ParentPageMaps.CreateEmptyPagesAsync(iteration, TestContext.Current.CancellationToken);

        Assert.Equal(1, created);
        Assert.Equal(0, new FileInfo(Path.Combine(iteration, "pages-7.img")).Length);
        Assert.Equal("pages of its own", File.ReadAllText(Path.Combine(iteration, "pages-8.img")));
    }

    [Fact]
    public async Task A_page_map_that_is_not_one_fails_instead_of_naming_a_pages_file()
    {
        // Failure handled: a corrupt or foreign file named like a page map; no stand-in may be guessed for it.
        using var root = new TempDirectory();
        var iteration = Iteration(root, "source/0", parent: null, "pagemap-1.img");

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => ParentPageMaps.CreateEmptyPagesAsync(iteration, TestContext.Current.CancellationToken));

        Assert.EndsWith("pagemap-1.img", error.FileName, StringComparison.Ordinal);
        Assert.Equal(["pagemap-1.img"], Names(iteration));
    }

    /// <summary>An iteration directory holding files named after their own path, with a parent link.</summary>
    private static string Iteration(TempDirectory root, string name, string? parent, params string[] files)
    {
        var directory = root.Sub(name);
        foreach (var file in files)
            File.WriteAllText(Path.Combine(directory, file), $"{name}/{file}");
        if (parent is not null)
            File.CreateSymbolicLink(Path.Combine(directory, "parent"), parent);
        return directory;
    }

    private static string[] Names(string directory) =>
        [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
