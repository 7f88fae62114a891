namespace Phaul.Transport;

/// <summary>Which end of a migration a transport error happened on.</summary>
internal enum TransportSide
{
    /// <summary>The host the process tree is migrated away from.</summary>
    Source,

    /// <summary>The host the process tree is migrated to.</summary>
    Destination,
}
