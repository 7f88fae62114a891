namespace Phaul;

/// <summary>The destination refused an iteration: its images directory lacks the space the iteration's pages need.</summary>
public sealed class InsufficientSpaceException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">Where the pages would go.</param>
    /// <param name="availableBytes">The free space there.</param>
    /// <param name="neededBytes">What the iteration needs, margin included.</param>
    public InsufficientSpaceException(string directory, long availableBytes, long neededBytes)
        : base($"'{directory}' has {MiB(availableBytes)} free, and this iteration writes about {MiB(neededBytes)} " +
               "(the tree's memory and a margin for the other images): free some space or give the destination another directory")
    {
        Directory = directory;
        AvailableBytes = availableBytes;
        NeededBytes = neededBytes;
    }

    /// <summary>Where the pages would go.</summary>
    public string Directory { get; }

    /// <summary>The free space there, in bytes.</summary>
    public long AvailableBytes { get; }

    /// <summary>What the iteration needs, margin included, in bytes.</summary>
    public long NeededBytes { get; }

    private static string MiB(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB");
}
