namespace Phaul;

/// <summary>
/// The 32-bit magic numbers at the head of CRIU's image files. Most images start with
/// <see cref="Common"/> followed by the image's own magic; CRIU's service files (statistics,
/// irmap cache) start with <see cref="Service"/> instead; <c>inventory.img</c> carries only
/// <see cref="Inventory"/>. Raw images (for example <c>pages-*.img</c>) have no magic at all and
/// are not read by <see cref="CriuImageReader"/>.
/// </summary>
internal static class CriuImageMagic
{
    /// <summary>Leading magic of ordinary images (CRIU's <c>IMG_COMMON_MAGIC</c>).</summary>
    public const uint Common = 0x54564319;

    /// <summary>Leading magic of service files such as <c>stats-dump</c> (CRIU's <c>IMG_SERVICE_MAGIC</c>).</summary>
    public const uint Service = 0x55105940;

    /// <summary><c>inventory.img</c>: the only image without a leading magic.</summary>
    public const uint Inventory = 0x58313116;

    /// <summary>The statistics files <c>stats-dump</c> and <c>stats-restore</c>.</summary>
    public const uint Stats = 0x57093306;

    /// <summary>The irmap cache service file.</summary>
    public const uint IrmapCache = 0x57004059;

    /// <summary><c>pstree.img</c>: the process tree.</summary>
    public const uint Pstree = 0x50273030;

    /// <summary><c>core-*.img</c>: per-task registers and state.</summary>
    public const uint Core = 0x55053847;

    /// <summary><c>pagemap-*.img</c>: which pages a task's memory image holds.</summary>
    public const uint Pagemap = 0x56084025;

    /// <summary>
    /// The magic CRIU writes before <paramref name="imageMagic"/>, or <see langword="null"/> when the
    /// image has no leading magic (the inventory).
    /// </summary>
    /// <param name="imageMagic">An image's own magic.</param>
    /// <returns><see cref="Service"/>, <see cref="Common"/> or <see langword="null"/>.</returns>
    public static uint? LeadingMagicFor(uint imageMagic) => imageMagic switch
    {
        Inventory => null,
        Stats or IrmapCache => Service,
        _ => Common,
    };
}
