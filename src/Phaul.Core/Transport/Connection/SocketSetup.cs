using System.Net.Sockets;

namespace Phaul.Transport;

/// <summary>Socket options both ends set on every migration connection.</summary>
internal static class SocketSetup
{
    // TCP keepalive finds a peer whose host vanished while we wait a long time for a reply
    // (a long restore, a big pre-dump): about 10 s idle + 3 probes 5 s apart.
    private const int KeepAliveIdleSeconds = 10;
    private const int KeepAliveIntervalSeconds = 5;
    private const int KeepAliveProbes = 3;

    // Keepalive probes only go out on an idle connection. While sent data waits for its ACK (CRIU
    // writing pages, the lazy-pages daemon asking for them), a vanished peer or a cut link would
    // otherwise be noticed only after TCP's retransmissions give up, 15 minutes or more: with a user
    // timeout, unacknowledged data fails the connection after this long too. A live peer ACKs even
    // when it reads slowly, so only a dead link or host trips it.
    private const uint UserTimeoutMilliseconds = 30_000;
    private const int TcpUserTimeout = 18; // TCP_USER_TIMEOUT, linux/tcp.h

    /// <summary>Configures a connected socket: no Nagle delay for small requests, keepalive probes, a user timeout.</summary>
    public static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveIdleSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveProbes);
        socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpUserTimeout, BitConverter.GetBytes(UserTimeoutMilliseconds));
    }
}
