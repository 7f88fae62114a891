namespace Phaul.Containers;

/// <summary>The host's ends of a container's veth pairs, taken down for the hand-over and up again if it is abandoned.</summary>
internal sealed class NetworkLock(IReadOnlyList<string> hostPeers)
{
    /// <summary>The host's ends of the container's veth pairs.</summary>
    public IReadOnlyList<string> HostPeers => hostPeers;

    public Task LockAsync(CancellationToken cancellationToken) => ContainerNetworkReader.SetHostPeersAsync(hostPeers, up: false, cancellationToken);

    // Whatever abandoned the migration must not keep the container cut off.
    public Task UnlockAsync() => ContainerNetworkReader.SetHostPeersAsync(hostPeers, up: true, CancellationToken.None);

    /// <summary>
    /// Once the destination runs the container: deletes the host's ends here. The deleted copy's sockets outlive its
    /// processes (closing, they retry their FIN), and with them its network namespace; up, that FIN would close the
    /// client's connection, which the destination's copy now holds.
    /// </summary>
    public Task RemoveAsync() => ContainerNetworkReader.DeleteHostPeersAsync(hostPeers, CancellationToken.None);
}
