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
    private const string ParentLink = "parent";

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
             source = Parent(source), destination = Parent(destination))
        {
            linked += ImageLinker.LinkOrCopyImages(destination, source, "pagemap-*.img");
            linked += ImageLinker.LinkOrCopyImages(destination, source, "pages-*.img");
        }
        return linked;
    }

    private static string? Parent(string iteration)
    {
        var link = Path.Combine(iteration, ParentLink);
        return Directory.Exists(link) ? link : null;
    }
}
