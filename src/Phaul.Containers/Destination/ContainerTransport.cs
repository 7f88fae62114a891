using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Transport;

namespace Phaul.Containers;

/// <summary>Container migration across Phaul's network transport: the destination's extension.</summary>
public static class ContainerTransport
{
    /// <summary>
    /// The listener's options with the container extension registered, so that sources may migrate runc containers here:
    /// each session makes the container's bundle in <see cref="ContainerDestinationOptions.BundlesDirectory"/> and
    /// restores it with the runtime of <see cref="ContainerDestinationOptions.Runtime"/>. An id this runtime has, or
    /// another session is bringing, is refused.
    /// </summary>
    /// <param name="options">The listener's options; its other extensions stay.</param>
    /// <param name="containers">Where containers are restored.</param>
    /// <param name="loggerFactory">Where the sessions' container ends log; null for nowhere.</param>
    /// <returns>A copy of <paramref name="options"/>.</returns>
    /// <exception cref="ArgumentException">An option of <paramref name="containers"/> is invalid; the message names it.</exception>
    public static MigrationListenerOptions WithContainers(this MigrationListenerOptions options, ContainerDestinationOptions containers,
                                                          ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(containers);
        containers.Validate();
        var claims = new ContainerClaims();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ContainerDestination>();
        var extensions = new Dictionary<string, Func<IDestinationExtension>>(options.Extensions, StringComparer.Ordinal)
        {
            [ContainerWire.ExtensionName] = () => new ContainerDestination(containers, claims, logger),
        };
        return options with { Extensions = extensions };
    }
}
