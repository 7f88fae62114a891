using System.Net.Sockets;

namespace Phaul.Containers;

/// <summary>
/// Carries CRIU's page-server protocol between a local socket (the source's CRIU, or the destination's lazy-pages daemon)
/// and the session's extension stream, both ways, until both have ended; a failure of either way stops the other.
/// </summary>
internal static class PageRelay
{
    private const int BufferBytes = 256 * 1024;

    /// <param name="socket">The local end.</param>
    /// <param name="stream">The session's end.</param>
    /// <param name="endStreamSide">Ends this side of the stream once the socket has nothing more to say.</param>
    /// <param name="cancellationToken">Stops the relay.</param>
    public static async Task RunAsync(Socket socket, Stream stream, Func<Task> endStreamSide, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = GuardAsync(SocketToStreamAsync(socket, stream, endStreamSide, stop.Token), socket, stop);
        var down = GuardAsync(StreamToSocketAsync(stream, socket, stop.Token), socket, stop);
        await Task.WhenAll(up, down).ConfigureAwait(false);
    }

    // A broken relay closes the local end: CRIU on that side must see the end at once, not wait for pages that cannot come.
    private static async Task GuardAsync(Task way, Socket socket, CancellationTokenSource stop)
    {
        try
        {
            await way.ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task SocketToStreamAsync(Socket socket, Stream stream, Func<Task> endStreamSide, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false)) > 0)
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        await endStreamSide().ConfigureAwait(false);
    }

    private static async Task StreamToSocketAsync(Stream stream, Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferBytes];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            for (var sent = 0; sent < read;)
                sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The local end closed first (CRIU is done): there was nothing more for it.
        }
    }
}
