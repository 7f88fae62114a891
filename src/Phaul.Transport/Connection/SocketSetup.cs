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

    /// <summary>Configures a connected socket: no Nagle delay for small requests, keepalive probes.</summary>
    public static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, KeepAliveIdleSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, KeepAliveIntervalSeconds);
        socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, KeepAliveProbes);
    }
}
