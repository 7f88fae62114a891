using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Phaul.Transport;

/// <summary>
/// Joins CRIU's end of a Unix socket pair to an encrypted memory connection: what CRIU writes goes out through TLS,
/// what arrives (decrypted and checked) goes to CRIU. Each end of the stream is passed on as an end (shutdown for
/// writing, TLS close_notify), so page servers see the end exactly as over a bare socket. A record that fails TLS's
/// integrity check never reaches CRIU: the relay cuts both the pair and the connection, and CRIU's transfer fails.
/// </summary>
internal sealed class MemoryRelay : IAsyncDisposable
{
    private const int BufferLength = 256 * 1024;

    private readonly NetworkStream _local;
    private readonly TransportConnection _remote;
    private readonly ILogger _logger;
    private readonly Task _outbound;
    private readonly Task _inbound;

    private MemoryRelay(Socket local, TransportConnection remote, ILogger logger)
    {
        _local = new NetworkStream(local, ownsSocket: true);
        _remote = remote;
        _logger = logger;
        _outbound = Task.Run(PumpOutAsync);
        _inbound = Task.Run(PumpInAsync);
    }

    /// <summary>Starts relaying between <paramref name="local"/> (the relay's end of the pair) and <paramref name="remote"/>.</summary>
    public static MemoryRelay Start(Socket local, TransportConnection remote, ILogger logger) => new(local, remote, logger);

    /// <summary>Cuts both sides, as a broken link would: CRIU and the peer see the end at once.</summary>
    public void ShutDown()
    {
        TryShutdown(_local.Socket);
        _remote.ShutDown();
    }

    private async Task PumpOutAsync()
    {
        var buffer = new byte[BufferLength];
        try
        {
            int read;
            while ((read = await _local.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                await _remote.Stream.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            await ShutdownWritingAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Fail("sending", e);
        }
    }

    private async Task PumpInAsync()
    {
        var buffer = new byte[BufferLength];
        try
        {
            int read;
            while ((read = await _remote.Stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                await _local.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            _local.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Fail("receiving", e);
        }
    }

    private async Task ShutdownWritingAsync()
    {
        if (_remote.Stream is System.Net.Security.SslStream tls)
            await tls.ShutdownAsync().ConfigureAwait(false);
        else
            _remote.Socket.Shutdown(SocketShutdown.Send);
    }

    private void Fail(string direction, Exception e)
    {
        if (e is not ObjectDisposedException)
            _logger.MemoryRelayFailed(_remote.Channel.PeerEndPoint, direction, e.Message);
        ShutDown();
    }

    // A TLS stream that failed its integrity check refuses even its close_notify (a CryptographicException from OpenSSL).
    private static bool IsConnectionFailure(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or InvalidOperationException
            or System.Security.Authentication.AuthenticationException or System.Security.Cryptography.CryptographicException;

    private static void TryShutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed already.
        }
    }

    public async ValueTask DisposeAsync()
    {
        ShutDown();
        await _local.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_outbound, _inbound).ConfigureAwait(false);
    }
}
