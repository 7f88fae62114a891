namespace Phaul.Containers;

/// <summary>The host's ends of a container's veth pairs, taken down for the hand-over and up again if it is abandoned.</summary>
internal sealed class NetworkLock(IReadOnlyList<string> hostPeers)
{
    /// <summary>The host's ends of the container's veth pairs.</summary>
    public IReadOnlyList<string> HostPeers => hostPeers;

    /// <exception cref="ContainerRuntimeException">ip failed.</exception>
    public Task LockAsync(CancellationToken cancellationToken) => OnEachPeerAsync(peer => ["link", "set", "dev", peer, "down"], cancellationToken);

    // Whatever abandoned the migration must not keep the container cut off.
    public Task UnlockAsync() => OnEachPeerAsync(peer => ["link", "set", "dev", peer, "up"], CancellationToken.None);

    /// <summary>
    /// Once the destination runs the container: deletes the host's ends here, and with them the pairs. The deleted copy's
    /// sockets outlive its processes (closing, they retry their FIN), and with them its network namespace; up, that FIN
    /// would close the client's connection, which the destination's copy now holds.
    /// </summary>
    public Task RemoveAsync() => OnEachPeerAsync(peer => ["link", "delete", "dev", peer], CancellationToken.None);

    private async Task OnEachPeerAsync(Func<string, string[]> arguments, CancellationToken cancellationToken)
    {
        foreach (var peer in hostPeers)
            await ContainerNetworkReader.RunAsync("ip", arguments(peer), cancellationToken).ConfigureAwait(false);
    }
}
