using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Phaul.Transport;

/// <summary>
/// Puts a socket back into blocking mode at the kernel level before CRIU gets its fd. .NET turns a
/// socket's file description non-blocking for good once it runs an async operation on it, and
/// <see cref="Socket.Blocking"/> only emulates blocking inside .NET; CRIU's page transfer, which
/// shares the file description, would then fail with EAGAIN.
/// </summary>
internal static class BlockingSocket
{
    /// <summary>Clears O_NONBLOCK on the socket's file description.</summary>
    /// <exception cref="IOException">fcntl failed.</exception>
    public static void MakeBlocking(Socket socket) => WithFd(socket, fd =>
    {
        var flags = Check(Interop.Fcntl(fd, Interop.F_GETFL, 0), "F_GETFL", fd);
        if ((flags & Interop.O_NONBLOCK) != 0)
            Check(Interop.Fcntl(fd, Interop.F_SETFL, flags & ~Interop.O_NONBLOCK), "F_SETFL", fd);
        return 0;
    });

    /// <summary>Whether the socket's file description is non-blocking at the kernel level.</summary>
    public static bool IsNonBlocking(Socket socket) =>
        WithFd(socket, fd => (Check(Interop.Fcntl(fd, Interop.F_GETFL, 0), "F_GETFL", fd) & Interop.O_NONBLOCK) != 0);

    private static T WithFd<T>(Socket socket, Func<int, T> action)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return action((int)handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    private static int Check(int result, string command, int fd)
    {
        if (result >= 0)
            return result;
        var errno = Marshal.GetLastPInvokeError();
        throw new IOException($"fcntl({command}) on socket fd {fd} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
    }
}
