namespace Phaul.Containers;

/// <summary>A container's status as its runtime reports it (<c>runc state</c>).</summary>
public enum ContainerStatus
{
    /// <summary>A status this library does not know.</summary>
    Unknown,

    /// <summary>Created, its process not started yet.</summary>
    Created,

    /// <summary>Running.</summary>
    Running,

    /// <summary>Frozen by the runtime (<c>runc pause</c>).</summary>
    Paused,

    /// <summary>Its process has exited.</summary>
    Stopped,
}
