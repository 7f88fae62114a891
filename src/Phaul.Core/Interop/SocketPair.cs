using System.Net.Sockets;

namespace Phaul;

/// <summary>A connected pair of Unix sockets, both ends close-on-exec.</summary>
internal static class SocketPair
{
    /// <summary>Creates the pair: the first end as a .NET socket, the second as a bare fd for a child process.</summary>
    public static (Socket Local, SafeFdHandle Remote) CreateSeqPacket() => Create(Interop.SOCK_SEQPACKET, "SOCK_SEQPACKET");

    /// <summary>A SOCK_STREAM pair: the first end as a .NET socket, the second as a bare fd for a child process.</summary>
    public static (Socket Local, SafeFdHandle Remote) CreateStream() => Create(Interop.SOCK_STREAM, "SOCK_STREAM");

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
