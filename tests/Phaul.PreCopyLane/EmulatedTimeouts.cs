namespace Phaul.PreCopyLane;

/// <summary>Waits the transport needs inside the guest.</summary>
internal static class EmulatedTimeouts
{
    // The guest emulates its CPU (TCG): the TLS handshake's key exchange and signatures took longer than the default 10 s.
    public static readonly TimeSpan Handshake = TimeSpan.FromMinutes(2);
}
