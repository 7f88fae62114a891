namespace Phaul;

/// <summary>The source side's final stage: dump the frozen tree, move its images, restore it remotely.</summary>
public interface IPhaulLocal
{
    /// <summary>
    /// Dumps the tree for the last time, gets the images to the destination and restores them there.
    /// The tree is frozen while this runs. Returning normally means the dump succeeded and the tree
    /// is gone from the source; throwing means the tree must be resumed on the source.
    /// </summary>
    /// <param name="criu">The source's CRIU session, prepared by the migration loop.</param>
    /// <param name="config">The migration's configuration.</param>
    /// <param name="lastClientImagesPath">
    /// The last pre-dump's images directory, to use as the parent of the final dump, or "" when no
    /// pre-dump ran.
    /// </param>
    /// <param name="cancellationToken">Abandons the stage; the tree must then resume on the source.</param>
    Task DumpCopyRestoreAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                              CancellationToken cancellationToken = default);
}
