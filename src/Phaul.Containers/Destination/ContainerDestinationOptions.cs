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
    /// <c>PARENT/ID</c>, and CRIU restores their processes there: on cgroup v2 runc 1.1 does not tell it); null keeps the
    /// source's path. An absolute path without spaces, quotes, '#' or '\'.
    /// </summary>
    public string? CgroupParent { get; init; }

    /// <summary>
    /// The bridge a migrated container's interfaces are attached to here (a veth pair each, with the source's names, MAC
    /// and IP addresses and routes); null: containers with interfaces other than loopback are refused, unless
    /// <see cref="NetworkHook"/> attaches them.
    /// </summary>
    public string? Bridge { get; init; }

    /// <summary>
    /// The user's own network hook (an absolute path to an executable), run instead of the default bridge attachment: runc
    /// runs it as the restored container's OCI prestart hook, once the container's empty network namespace exists and
    /// before CRIU restores its sockets, with the container's state on stdin (its pid among it) and the path of
    /// <c>network.json</c> in the bundle as its argument: the container's interfaces (name, MAC address, MTU, addresses) and
    /// routes as the source had them, each value checked against its syntax. Its environment: <c>PHAUL_CONTAINER_ID</c>,
    /// <c>PHAUL_NETWORK</c> (the same path) and, when <see cref="Bridge"/> is set too, <c>PHAUL_DEFAULT_HOOK</c>, the
    /// default attachment's script, for a hook that runs it (with the same stdin) and adds its own steps. A non-zero exit
    /// fails the restore, and the container resumes on the source. Null: the default attachment to <see cref="Bridge"/>.
    /// </summary>
    public string? NetworkHook { get; init; }

    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Runtime, nameof(Runtime));
        if (string.IsNullOrEmpty(BundlesDirectory) || !Directory.Exists(BundlesDirectory))
            throw new ArgumentException($"ContainerDestinationOptions.BundlesDirectory: '{BundlesDirectory}' is not a directory", nameof(BundlesDirectory));
        if (NetworkHook is { } hook && (!Path.IsPathRooted(hook) || !File.Exists(hook)
                                         || (File.GetUnixFileMode(hook) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0))
            throw new ArgumentException($"ContainerDestinationOptions.NetworkHook: '{hook}' is not an executable file given by its absolute path", nameof(NetworkHook));
        // It goes into CRIU's configuration file too, one option a line, where a space, a quote or a '#' would change its meaning.
        if (CgroupParent is { } parent && (!parent.StartsWith('/') || parent.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '#' or '\\')))
            throw new ArgumentException(
                $"ContainerDestinationOptions.CgroupParent: '{parent}' must be an absolute cgroup path without spaces, quotes, '#' or '\\'",
                nameof(CgroupParent));
    }
}
