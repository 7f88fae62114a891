namespace Phaul.Containers;

/// <summary>What a container migration did and how long each part took.</summary>
public sealed record ContainerMigrationReport
{
    /// <summary>The container's id, the same on both hosts.</summary>
    public required string Id { get; init; }

    /// <summary>The container's init process on the destination.</summary>
    public required int DestinationPid { get; init; }

    /// <summary>The container's bundle on the destination.</summary>
    public required string DestinationBundle { get; init; }

    /// <summary>From the pause on the source to the destination's answer that it runs the container: the downtime's upper bound.</summary>
    public required TimeSpan Frozen { get; init; }

    /// <summary>runc's pause and checkpoint on the source.</summary>
    public required TimeSpan Checkpoint { get; init; }

    /// <summary>Copying what changed in the root file system while the container was paused; zero when it is shared.</summary>
    public TimeSpan RootFileSystemSync { get; init; }

    /// <summary>Sending the images to the destination.</summary>
    public required TimeSpan Transfer { get; init; }

    /// <summary>runc's restore on the destination, as the source waited for it.</summary>
    public required TimeSpan Restore { get; init; }

    /// <summary>How many image files were sent.</summary>
    public required int ImageFiles { get; init; }

    /// <summary>How many bytes of images were sent.</summary>
    public required long ImageBytes { get; init; }

    /// <summary>From the start to the source's copy deleted.</summary>
    public required TimeSpan Total { get; init; }
}
