namespace Phaul.Containers;

/// <summary>Where a destination restores the containers sources send it.</summary>
public sealed record ContainerDestinationOptions
{
    /// <summary>The runtime that restores them (its binary, state directory and CRIU).</summary>
    public RuncRuntimeOptions Runtime { get; init; } = new();

    /// <summary>
    /// The directory each migrated container's bundle is made in (<c>BUNDLES/ID/config.json</c>, its images in
    /// <c>BUNDLES/ID/checkpoint</c> until the restore); it must exist.
    /// </summary>
    public required string BundlesDirectory { get; init; }

    /// <summary>
    /// The cgroup parent the destination puts migrated containers under (their <c>linux.cgroupsPath</c> becomes
    /// <c>PARENT/ID</c>); null keeps the source's path.
    /// </summary>
    public string? CgroupParent { get; init; }

    /// <summary>
    /// The bridge a migrated container's interfaces are attached to here (a veth pair each, with the source's names, MAC
    /// and IP addresses and routes); null: containers with interfaces other than loopback are refused.
    /// </summary>
    public string? Bridge { get; init; }

    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Runtime, nameof(Runtime));
        if (string.IsNullOrEmpty(BundlesDirectory) || !Directory.Exists(BundlesDirectory))
            throw new ArgumentException($"ContainerDestinationOptions.BundlesDirectory: '{BundlesDirectory}' is not a directory", nameof(BundlesDirectory));
        if (CgroupParent is { } parent && !parent.StartsWith('/'))
            throw new ArgumentException($"ContainerDestinationOptions.CgroupParent: '{parent}' must be an absolute cgroup path", nameof(CgroupParent));
    }
}
