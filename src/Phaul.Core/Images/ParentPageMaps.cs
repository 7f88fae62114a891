using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// Lets a lazy final dump on the source see its pre-dumps. CRIU's lazy dump writes its page map locally and
/// marks a page unchanged since the last pre-dump as "in the parent" only if it can open the parent
/// iteration's page map and find the page there (<c>check_pagehole_in_parent</c>); but the pre-dumps sent
/// their page maps and pages to the destination's page server, so the source's iteration directories have
/// none (<c>No parent image found, though parent directory is set</c>) and every page would follow lazily.
/// </summary>
internal static class ParentPageMaps
{
    /// <summary>CRIU's page maps: <c>pagemap-PID.img</c> and <c>pagemap-shmem-ID.img</c>.</summary>
    public const string PageMapPattern = "pagemap-*.img";

    /// <summary>Whether <paramref name="name"/> is a page map's file name (see <see cref="PageMapPattern"/>).</summary>
    public static bool IsPageMap(string name) =>
        name.StartsWith("pagemap-", StringComparison.Ordinal) && name.EndsWith(".img", StringComparison.Ordinal);

    /// <summary>
    /// Links the page maps and pages of the destination's pre-dump iterations into the source's matching ones,
    /// walking both <c>parent</c> chains from the last pre-dump back.
    /// </summary>
    /// <param name="sourceIteration">The source's last pre-dump directory (the lazy dump's parent).</param>
    /// <param name="destinationIteration">The destination's directory of that same pre-dump.</param>
    /// <returns>How many image files were linked or copied; 0 when the destination has no such iteration.</returns>
    public static int LinkChain(string sourceIteration, string destinationIteration)
    {
        var linked = 0;
        for (string? source = sourceIteration, destination = Directory.Exists(destinationIteration) ? destinationIteration : null;
             source is not null && destination is not null;
             source = IterationDirectories.ParentDirectoryOf(source), destination = IterationDirectories.ParentDirectoryOf(destination))
        {
            linked += ImageLinker.LinkOrCopyImages(destination, source, PageMapPattern);
            linked += ImageLinker.LinkOrCopyImages(destination, source, "pages-*.img");
        }
        return linked;
    }

    /// <summary>
    /// Gives each page map in <paramref name="iteration"/> an empty stand-in for the pages file its head names
    /// (<c>pages-ID.img</c>), unless that exists: the page maps came without their pages, which stay on the
    /// destination. CRIU's dump opens the parent's pages file beside its page map but decides "in the parent"
    /// from the map alone (<c>open_page_read_at</c>, <c>check_pagehole_in_parent</c>); anything that did read a
    /// page from the stand-in would fail on its emptiness, never get wrong data.
    /// </summary>
    /// <param name="iteration">A source iteration directory holding page maps received from the destination.</param>
    /// <param name="cancellationToken">Cancels reading the page maps.</param>
    /// <returns>How many stand-ins were created.</returns>
    /// <exception cref="CriuImageFormatException">A page map is not one (wrong magic, no head).</exception>
    public static async Task<int> CreateEmptyPagesAsync(string iteration, CancellationToken cancellationToken)
    {
        var created = 0;
        foreach (var pageMap in Directory.EnumerateFiles(iteration, PageMapPattern))
        {
            var reader = await CriuImageReader.OpenFileAsync(pageMap, CriuImageMagic.Pagemap, cancellationToken).ConfigureAwait(false);
            PagemapHead head;
            await using (reader.ConfigureAwait(false))
                head = await reader.ReadEntryAsync(PagemapHead.Parser, cancellationToken).ConfigureAwait(false)
                       ?? throw new CriuImageFormatException(pageMap, reader.Position, "the page map has no head naming its pages file");
            var pages = Path.Combine(iteration, $"pages-{head.PagesId}.img");
            if (File.Exists(pages))
                continue;
            await File.WriteAllBytesAsync(pages, [], cancellationToken).ConfigureAwait(false);
            created++;
        }
        return created;
    }
}
