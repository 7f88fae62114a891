using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>
/// What a destination needs beyond the network: a PhaulServer per session and CRIU's restore statistics; and what
/// its sessions share: the disk space their image files take.
/// </summary>
/// <param name="CreateTarget">Creates the session's server for its configuration.</param>
/// <param name="ReadRestoreStats">Reads CRIU's restore statistics from an images directory.</param>
internal sealed record DestinationServices(Func<PhaulConfig, IMigrationTarget> CreateTarget,
                                           Func<string, CancellationToken, Task<RestoreStatsEntry>> ReadRestoreStats)
{
    /// <summary>The image bytes all sessions hold, against <see cref="MigrationListenerOptions.MaxImageBytesAllSessions"/>.</summary>
    public SharedImageSpace ImageSpace { get; } = new();

    /// <summary>The real ones: a <see cref="PhaulServer"/> per session, statistics from <see cref="CriuImageStats"/>.</summary>
    public static DestinationServices ForPhaulServer(PhaulServerOptions? serverOptions, ILoggerFactory? loggerFactory) =>
        new(config => new PhaulServerTarget(PhaulServer.MakePhaulServer(config, serverOptions, loggerFactory)),
            CriuImageStats.ReadRestoreStatsAsync);
}
