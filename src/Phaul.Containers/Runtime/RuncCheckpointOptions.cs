namespace Phaul.Containers;

/// <summary>Where <c>runc checkpoint</c> writes, and whether the container goes on afterwards.</summary>
public sealed record RuncCheckpointOptions
{
    /// <summary>The directory CRIU writes the images into (<c>--image-path</c>); it must exist.</summary>
    public required string ImagePath { get; init; }

    /// <summary>The directory for CRIU's log (dump.log) and runc's own files (<c>--work-path</c>); it must exist.</summary>
    public required string WorkPath { get; init; }

    /// <summary>
    /// Leave the container's processes after the dump instead of killing them and deleting the container
    /// (<c>--leave-running</c>). A paused container stays paused: CRIU puts the freezer back as it found it.
    /// </summary>
    public bool LeaveRunning { get; init; }

    /// <summary>
    /// The previous pre-dump's image directory, relative to <see cref="ImagePath"/> (<c>--parent-path</c>, e.g.
    /// <c>../pre-1</c>): only memory changed since then is dumped, the rest is found there. Null: none.
    /// </summary>
    public string? ParentPath { get; init; }

    /// <summary>Dump established TCP connections too (<c>--tcp-established</c>); the restore must say so as well.</summary>
    public bool TcpEstablished { get; init; }
}
