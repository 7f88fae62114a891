namespace Phaul;

/// <summary>The source side's final stage for post-copy: dump lazily, restore remotely, serve the memory.</summary>
public interface IPhaulPostCopyLocal : IPhaulLocal
{
    /// <summary>
    /// Dumps the tree without its memory (CRIU's <c>lazy_pages</c>), gets the images to the destination,
    /// restores them there with lazy pages, and serves the memory over <c>Memfd</c> until every page has
    /// arrived. Returning normally means the tree runs on the destination with all of its memory and is
    /// gone from the source. Throwing before the destination resumed the tree means the tree runs on the
    /// source again; after it resumed, pages that had not arrived are lost with the process:
    /// <see cref="ProcessLostException"/>.
    /// </summary>
    /// <param name="criu">The source's CRIU session, prepared by the migration loop.</param>
    /// <param name="config">The migration's configuration.</param>
    /// <param name="lastClientImagesPath">The last pre-dump's images directory (hybrid migration), or "".</param>
    /// <param name="cancellationToken">
    /// Abandons the stage until the destination resumed the tree (it then resumes on the source); after
    /// that the memory must move or the process is lost, so the stage runs to its end, bounded by the
    /// destination's deadline.
    /// </param>
    Task DumpCopyRestoreLazilyAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                                    CancellationToken cancellationToken = default);
}
