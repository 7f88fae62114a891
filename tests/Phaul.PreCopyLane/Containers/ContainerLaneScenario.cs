namespace Phaul.PreCopyLane.Containers;

/// <summary>One container migration of the lane: a runc container whose shell holds a ballast, moved by a strategy that pre-dumps.</summary>
/// <param name="Name">Short name, used on the command line and in file names.</param>
/// <param name="Purpose">What the run shows, for the table's heading.</param>
/// <param name="Strategy">Pre-copy (then stop-and-copy) or hybrid (then post-copy).</param>
/// <param name="BallastMiB">The memory the container's shell holds in a variable, written once before the migration.</param>
/// <param name="PreDumps">How many rounds of runc's pre-dump run while the container runs.</param>
internal sealed record ContainerLaneScenario(string Name, string Purpose, MigrationStrategy Strategy, int BallastMiB, int PreDumps)
    : ILaneScenario
{
    public long BallastBytes => BallastMiB * 1024L * 1024;

    /// <summary>
    /// Where bytes on the path are changed (the control connection's stream to the destination, counted from its start), as
    /// a cut link would break it: the migration must fail with the container running on at the source; null for none.
    /// </summary>
    public long? CutLinkAt { get; init; }
}
