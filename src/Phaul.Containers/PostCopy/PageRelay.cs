using System.Net.Sockets;
using Phaul.Transport;

namespace Phaul.Containers;

/// <summary>
/// Carries CRIU's page-server protocol between the source's CRIU (its lazy page server, on a loopback TCP connection)
/// and the session's memory connection, whose destination end is the lazy-pages daemon's socket, both ways. Each way
/// passes its end on: the destination ends the memory connection once its daemon is done, and CRIU, which waits for its
/// client to close after the last page, then ends too. A failure of either way, or cancellation, cuts both.
/// </summary>
/// <remarks>
/// Each way copies on its own thread, blocked in the kernel: the daemon fetches in small requests whenever the container
/// faults, and a request that waited for the thread pool at each hop would make the memory follow several times slower.
/// </remarks>
internal static class PageRelay
{
    private const int BufferBytes = 256 * 1024;

    /// <exception cref="SocketException">Either side failed.</exception>
    public static async Task RunAsync(Socket criu, Socket memory, CancellationToken cancellationToken)
    {
        BlockingSocket.MakeBlocking(criu);
        BlockingSocket.MakeBlocking(memory);
        using var stopping = cancellationToken.Register(() => Cut(criu, memory));
        var toDestination = OnOwnThread(() => Copy(criu, memory), "phaul-pages-out", criu, memory);
        var toCriu = OnOwnThread(() => Copy(memory, criu), "phaul-pages-in", criu, memory);
        await Task.WhenAll(toDestination, toCriu).ConfigureAwait(false);
    }

    private static void Copy(Socket from, Socket to)
    {
        var buffer = new byte[BufferBytes];
        int read;
        while ((read = from.Receive(buffer)) > 0)
            to.Send(buffer, 0, read, SocketFlags.None);
        TryShutdown(to, SocketShutdown.Send);
    }

    // A way that failed cuts both sockets, so that the other way's blocked read ends too.
    private static Task OnOwnThread(Action copy, string name, Socket criu, Socket memory)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            try
            {
                copy();
                done.SetResult();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Cut(criu, memory);
                done.SetException(e);
            }
        })
        { IsBackground = true, Name = name }.Start();
        return done.Task;
    }

    private static void Cut(Socket criu, Socket memory)
    {
        TryShutdown(criu, SocketShutdown.Both);
        TryShutdown(memory, SocketShutdown.Both);
    }

    private static void TryShutdown(Socket socket, SocketShutdown how)
    {
        try
        {
            socket.Shutdown(how);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // That side is gone already: it needs no end.
        }
    }
}
