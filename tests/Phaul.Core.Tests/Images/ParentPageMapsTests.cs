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
