namespace Phaul.Containers;

/// <summary>What a container migration did and how long each part took.</summary>
public sealed record ContainerMigrationReport
{
    /// <summary>The container's id, the same on both hosts.</summary>
    public required string Id { get; init; }

    /// <summary>How its memory moved: stop-and-copy, post-copy, pre-copy or hybrid.</summary>
    public required MigrationStrategy Strategy { get; init; }

    /// <summary>The container's init process on the destination.</summary>
    public required int DestinationPid { get; init; }

    /// <summary>The container's bundle on the destination.</summary>
    public required string DestinationBundle { get; init; }

    /// <summary>
    /// From the pause on the source to the container running on the destination: the downtime's upper bound (for
    /// post-copy, up to the destination's restore, as it measured it; the memory follows in <see cref="MemoryFollowed"/>).
    /// </summary>
    public required TimeSpan Frozen { get; init; }

    /// <summary>runc's pause and checkpoint on the source.</summary>
    public required TimeSpan Checkpoint { get; init; }

    /// <summary>Copying what changed in the root file system while the container was paused; zero when it is shared.</summary>
    public TimeSpan RootFileSystemSync { get; init; }

    /// <summary>Sending the images to the destination.</summary>
    public required TimeSpan Transfer { get; init; }

    /// <summary>runc's restore on the destination (for post-copy, with the start of CRIU's lazy-pages daemon before it).</summary>
    public required TimeSpan Restore { get; init; }

    /// <summary>Post-copy: from the container running on the destination until all of its memory had arrived there; zero for stop-and-copy.</summary>
    public TimeSpan MemoryFollowed { get; init; }

    /// <summary>Pre-copy and hybrid: how many pre-dumps ran while the container ran; zero otherwise.</summary>
    public int PreDumps { get; init; }

    /// <summary>Pre-copy and hybrid: the bytes of their images sent to the destination while the container ran.</summary>
    public long PreDumpBytes { get; init; }

    /// <summary>Pre-copy and hybrid: the time the pre-dumps and their transfer took, all while the container ran.</summary>
    public TimeSpan PreCopy { get; init; }

    /// <summary>How many image files were sent.</summary>
    public required int ImageFiles { get; init; }

    /// <summary>How many bytes of images were sent (for post-copy, without the memory).</summary>
    public required long ImageBytes { get; init; }

    /// <summary>From the start to the source's copy deleted.</summary>
    public required TimeSpan Total { get; init; }
}
