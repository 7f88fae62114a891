using Microsoft.Extensions.Logging;

namespace Phaul.Containers;

/// <summary>
/// Gratuitous ARP for a container's addresses from its new host, so that switches learn where its MAC address is now
/// (a client's retransmissions would otherwise go to the old host's port until the entry ages out, minutes later).
/// </summary>
internal static class AddressAnnouncement
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Announces each address from inside the container's network namespace; a failure is logged, the container runs anyway.</summary>
    public static async Task SendAsync(int pid, IEnumerable<(string Interface, string Address)> addresses, ILogger logger)
    {
        // iputils' arping, or busybox's applet: both take -U -c -I.
        (string? Program, string[] Prefix) arping = ExternalCommand.Resolve("arping") is { } iputils ? (iputils, [])
                                                  : ExternalCommand.Resolve("busybox") is { } busybox ? (busybox, ["arping"])
                                                  : (null, []);
        var (program, prefix) = arping;
        var nsenter = ExternalCommand.Resolve("nsenter");
        foreach (var (device, address) in addresses)
        {
            if (program is null || nsenter is null)
            {
                logger.AddressNotAnnounced(address, "neither arping nor busybox is installed here");
                continue;
            }
            var outcome = await ExternalCommand.RunAsync(nsenter, [$"--net=/proc/{pid}/ns/net", program, .. prefix, "-U", "-c", "1", "-I", device, address],
                                                         CommandTimeout, CancellationToken.None).ConfigureAwait(false);
            if (!outcome.Succeeded)
                logger.AddressNotAnnounced(address, $"arping {outcome.Ending}: {string.Join(" / ", outcome.Output.TakeLast(2))}");
        }
    }
}
