using System.Net.Sockets;

namespace Phaul.Transport;

/// <summary>
/// Puts a socket back into blocking mode at the kernel level before CRIU gets its fd. .NET turns a
/// socket's file description non-blocking for good once it runs an async operation on it, and
/// <see cref="Socket.Blocking"/> only emulates blocking inside .NET; CRIU's page transfer, which
/// shares the file description, would then fail with EAGAIN.
/// </summary>
internal static class BlockingSocket
{
    /// <summary>Clears O_NONBLOCK on the socket's file description (with Phaul.Core's own fcntl call).</summary>
    /// <exception cref="IOException">fcntl failed (a <c>NativeCallException</c> naming the call and errno).</exception>
    public static void MakeBlocking(Socket socket)
    {
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            RequestFds.MakeBlocking([(int)handle.DangerousGetHandle()]);
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }
}
