using System.Net.Sockets;

namespace Phaul;

/// <summary>A connected pair of SOCK_SEQPACKET Unix sockets, both ends close-on-exec.</summary>
internal static class SocketPair
{
    /// <summary>Creates the pair: the first end as a .NET socket, the second as a bare fd for a child process.</summary>
    public static unsafe (Socket Local, SafeFdHandle Remote) CreateSeqPacket()
    {
        var fds = stackalloc int[2];
        if (Interop.Socketpair(Interop.AF_UNIX, Interop.SOCK_SEQPACKET | Interop.SOCK_CLOEXEC, 0, fds) != 0)
            throw NativeCallException.FromLastError("socketpair", "AF_UNIX, SOCK_SEQPACKET");
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
