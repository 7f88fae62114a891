namespace Phaul.PreCopyLane;

/// <summary>One run of the lane, chosen by name on the command line: a process tree's migration or a container's.</summary>
internal interface ILaneScenario
{
    /// <summary>Short name, used on the command line and in file names.</summary>
    string Name { get; }

    /// <summary>What the run shows, for the table's heading.</summary>
    string Purpose { get; }
}
