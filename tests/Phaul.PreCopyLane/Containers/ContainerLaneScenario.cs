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
}
