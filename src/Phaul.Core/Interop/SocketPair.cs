using System.Net.Sockets;

namespace Phaul;

/// <summary>A connected pair of Unix sockets, both ends close-on-exec.</summary>
internal static class SocketPair
{
    /// <summary>Creates the pair: the first end as a .NET socket, the second as a bare fd for a child process.</summary>
    public static (Socket Local, SafeFdHandle Remote) CreateSeqPacket() => Create(Interop.SOCK_SEQPACKET, "SOCK_SEQPACKET");

    /// <summary>A SOCK_STREAM pair: the first end as a .NET socket, the second as a bare fd for a child process.</summary>
    public static (Socket Local, SafeFdHandle Remote) CreateStream() => Create(Interop.SOCK_STREAM, "SOCK_STREAM");

    /// <summary>
    /// A SOCK_STREAM pair whose ends each let <paramref name="sendBufferBytes"/> wait in flight: on a Unix stream
    /// socket the sender's buffer is all the room there is between writer and reader.
    /// </summary>
    public static (Socket Local, SafeFdHandle Remote) CreateStream(int sendBufferBytes)
    {
        var (local, remote) = CreateStream();
        try
        {
            SetSendBuffer(local, sendBufferBytes);
            using var remoteSocket = new Socket(new SafeSocketHandle(remote.DangerousGetHandle(), ownsHandle: false));
            SetSendBuffer(remoteSocket, sendBufferBytes);
            return (local, remote);
        }
        catch
        {
            local.Dispose();
            remote.Dispose();
            throw;
        }
    }

    // As root, SO_SNDBUFFORCE passes net.core.wmem_max (208 KiB on many hosts); otherwise the kernel caps SO_SNDBUF there.
    private static void SetSendBuffer(Socket socket, int bytes)
    {
        const int SolSocket = 1, SoSndBufForce = 32;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoSndBufForce, BitConverter.GetBytes(bytes));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            socket.SendBufferSize = bytes;
        }
    }

    private static unsafe (Socket Local, SafeFdHandle Remote) Create(int type, string typeName)
    {
        var fds = stackalloc int[2];
        if (Interop.Socketpair(Interop.AF_UNIX, type | Interop.SOCK_CLOEXEC, 0, fds) != 0)
            throw NativeCallException.FromLastError("socketpair", $"AF_UNIX, {typeName}");
        var remote = new SafeFdHandle(fds[1]);
        try
        {
            return (new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)), remote);
        }
        catch
        {
            remote.Dispose();
            throw;
        }
    }
}
