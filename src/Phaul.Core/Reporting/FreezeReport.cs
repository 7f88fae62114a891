namespace Phaul;

/// <summary>
/// Where the time went between the freeze of a final stage that restores from complete images (stop-and-copy,
/// pre-copy) and the destination's word that the tree runs there, phase by phase, on the source's clock: the phases
/// add up to <see cref="FreezeToResume"/>. Post-copy has its own phases (<see cref="PostCopyReport"/>).
/// </summary>
public sealed record FreezeReport
{
    /// <summary>
    /// From the freeze until the dump's images were written (CRIU's post-dump notification, by CRIU's log): the tree's
    /// state and the pages no pre-dump sent. <see langword="null"/> when the log does not say.
    /// </summary>
    public TimeSpan? FreezeToImagesWritten { get; init; }

    /// <summary>Sending the image files and the restore request to the destination.</summary>
    public TimeSpan ImageTransfer { get; init; }

    /// <summary>
    /// From the restore request until the destination held its restored copy, stopped: the end of its page server,
    /// CRIU's restore, and the network both ways.
    /// </summary>
    public TimeSpan Restore { get; init; }

    /// <summary>From the restored copy held until the destination said it runs: the source stops its copy and commits, the destination resumes.</summary>
    public TimeSpan HandOver { get; init; }

    /// <summary>The downtime as the source measures it: the sum of the phases; <see langword="null"/> without <see cref="FreezeToImagesWritten"/>.</summary>
    public TimeSpan? FreezeToResume => FreezeToImagesWritten + ImageTransfer + Restore + HandOver;
}
