using System.Net.Security;
using System.Net.Sockets;

namespace Phaul.Transport;

/// <summary>
/// One authenticated migration connection: its TCP socket, the stream its frames travel on (TLS, or the bare
/// socket when both ends chose --insecure-plaintext) and the session the destination confirmed.
/// </summary>
internal sealed class TransportConnection : IAsyncDisposable
{
    public TransportConnection(Socket socket, Stream stream, FrameChannel channel, byte[] sessionId, CoalescingSocketStream? underTls)
    {
        Socket = socket;
        Stream = stream;
        Channel = channel;
        SessionId = sessionId;
        UnderTls = underTls;
    }

    /// <summary>The TCP socket, for shutting down as a cut link would and for watching the peer close.</summary>
    public Socket Socket { get; }

    /// <summary>The stream frames (and relayed memory pages) travel on.</summary>
    public Stream Stream { get; }

    /// <summary>The stream TLS runs over, when encrypted: a memory relay batches its records there.</summary>
    public CoalescingSocketStream? UnderTls { get; }

    /// <summary>Frames over <see cref="Stream"/>.</summary>
    public FrameChannel Channel { get; }

    /// <summary>The session id the handshake covered.</summary>
    public byte[] SessionId { get; }

    /// <summary>Whether the traffic is encrypted and integrity-protected (TLS).</summary>
    public bool Encrypted => Stream is SslStream;

    /// <summary>Shuts the TCP connection down both ways, as a network failure would; the peer sees it at once.</summary>
    public void ShutDown()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by the peer already, or by us.
        }
    }

    /// <summary>
    /// Resets the TCP connection (RST) after shutting it down: a peer blocked sending into a full window fails at
    /// once, as it would had the page server's own socket closed with pages unread. A shutdown alone sends a FIN,
    /// which a blocked sender never notices.
    /// </summary>
    public void Reset()
    {
        ShutDown();
        try
        {
            Socket.LingerState = new LingerOption(enable: true, seconds: 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed already: nothing left to reset.
        }
        Socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync().ConfigureAwait(false);
        Socket.Dispose();
    }
}
