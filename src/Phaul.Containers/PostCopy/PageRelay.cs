using System.Net.Sockets;

namespace Phaul.Containers;

/// <summary>
/// Carries CRIU's page-server protocol between the source's CRIU (its lazy page server, on a loopback TCP connection)
/// and the session's memory connection, whose destination end is the lazy-pages daemon's socket, both ways. Each way
/// passes its end on: the destination ends the memory connection once its daemon is done, and CRIU, which waits for its
/// client to close after the last page, then ends too. A failure of either way stops both.
/// </summary>
internal static class PageRelay
{
    private const int BufferBytes = 256 * 1024;

    /// <exception cref="SocketException">Either side failed.</exception>
    public static async Task RunAsync(Socket criu, Socket memory, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toDestination = GuardAsync(CopyAsync(criu, memory, stop.Token), stop);
        var toCriu = GuardAsync(CopyAsync(memory, criu, stop.Token), stop);
        await Task.WhenAll(toDestination, toCriu).ConfigureAwait(false);
    }

    private static async Task GuardAsync(Task way, CancellationTokenSource stop)
    {
        try
        {
            await way.ConfigureAwait(false);
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CopyAsync(Socket from, Socket to, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        int read;
        while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (var sent = 0; sent < read;)
                sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // That side is gone already: it needs no end.
        }
    }
}
