using Phaul.Containers;

namespace Phaul.PreCopyLane.Containers;

/// <summary>What one container scenario's migration produced, for the checks and the table.</summary>
/// <param name="Scenario">The scenario.</param>
internal sealed record ContainerScenarioResult(ContainerLaneScenario Scenario)
{
    /// <summary>The migration's report; null when it failed.</summary>
    public ContainerMigrationReport? Report { get; init; }

    /// <summary>Why the scenario could not complete.</summary>
    public Exception? Failure { get; init; }

    /// <summary>What the migration threw where the scenario cut the link (<see cref="ContainerLaneScenario.CutLinkAt"/>).</summary>
    public Exception? MigrationError { get; init; }

    /// <summary>Whether the destination had removed the container's bundle after a failed migration.</summary>
    public bool DestinationBundleRemoved { get; init; }

    /// <summary>The container's counter (kept in its shell's memory) just before the migration began.</summary>
    public long CounterBefore { get; init; }

    /// <summary>The first counter the container wrote at the destination after the migration returned.</summary>
    public long CounterAfter { get; init; }

    /// <summary>The destination's runc state of the container after the migration; null when it had none.</summary>
    public ContainerState? AtDestination { get; init; }

    /// <summary>The source's runc state of the container after the migration; null when it had none.</summary>
    public ContainerState? AtSource { get; init; }

    /// <summary>The ballast's length and whether every byte was as written, as the restored shell read it.</summary>
    public (long Length, bool Intact)? Ballast { get; init; }

    /// <summary>Whether the destination had removed the pre-dumps' images once the container ran there.</summary>
    public bool PreDumpsRemoved { get; init; }

    /// <summary>The scenario's wall time, container start to the last check.</summary>
    public TimeSpan WallTime { get; init; }
}
