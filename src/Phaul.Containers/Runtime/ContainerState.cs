namespace Phaul.Containers;

/// <summary>What a runtime knows of one container.</summary>
/// <param name="Id">The container's id.</param>
/// <param name="Pid">Its init process on this host; 0 when it has none.</param>
/// <param name="Status">Its status.</param>
/// <param name="Bundle">Its bundle directory (config.json and, usually, the root file system).</param>
public sealed record ContainerState(string Id, int Pid, ContainerStatus Status, string Bundle);
