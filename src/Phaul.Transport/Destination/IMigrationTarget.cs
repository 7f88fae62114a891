namespace Phaul.Transport;

/// <summary>
/// What a destination session drives: the PhaulServer's surface (iterations, the newest images
/// directory, its CRIU). A seam so sessions can be tested without CRIU.
/// </summary>
internal interface IMigrationTarget : IPhaulRemote, IDisposable
{
    /// <summary>Absolute path of the newest iteration directory, "" before the first.</summary>
    string LastImagesDir { get; }

    /// <summary>The CRIU the destination restores with.</summary>
    ICriu Criu { get; }
}
