using System.Net.Security;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Phaul.Transport;

/// <summary>
/// Joins CRIU's end of a Unix socket pair to a memory connection: what CRIU writes goes out (through TLS when
/// encrypted), what arrives (decrypted and checked) goes to CRIU. Each end of the stream is passed on as an end (shutdown
/// for writing, TLS close_notify), so page servers see the end exactly as over a bare socket. A record that fails TLS's
/// integrity check never reaches CRIU: the relay cuts both the pair and the connection, and CRIU's transfer fails.
/// </summary>
/// <remarks>
/// Each direction copies on a thread of its own with blocking calls. Post-copy's lazy-pages daemon asks for pages one
/// request at a time, so every hop's wake-up is paid on each request: through the thread pool, TLS post-copy moved
/// 28-72 MB/s where the bare socket moved 217-272 MB/s.
/// </remarks>
internal sealed class MemoryRelay : IAsyncDisposable
{
    private const int BufferLength = 256 * 1024;
    // TLS 1.3's largest record's plaintext: a read with less room could split one.
    private const int MaxRecordPlaintext = 16 * 1024;

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
        // The handshake left the TCP socket's file description non-blocking; the copying threads block in the kernel.
        BlockingSocket.MakeBlocking(remote.Socket);
        _outbound = PumpOutAsync();
        _inbound = OnOwnThread(CopyIn, "phaul-memory-in");
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
        if (!await OnOwnThread(CopyOut, "phaul-memory-out").ConfigureAwait(false))
            return;
        try
        {
            if (_remote.Stream is SslStream tls)
                await tls.ShutdownAsync().ConfigureAwait(false);
            else
                _remote.Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Fail("ending the stream", e);
        }
    }

    /// <returns>Whether CRIU ended its stream (rather than the relay failing).</returns>
    private bool CopyOut()
    {
        var buffer = new byte[BufferLength];
        if (_remote.UnderTls is { } underTls)
            underTls.BatchWrites = true;
        try
        {
            int read;
            while ((read = _local.Read(buffer)) > 0)
            {
                _remote.Stream.Write(buffer, 0, read);
                // One send for all of this read's records.
                _remote.Stream.Flush();
            }
            return true;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Fail("sending", e);
            return false;
        }
    }

    private bool CopyIn()
    {
        var buffer = new byte[BufferLength];
        try
        {
            int filled;
            while ((filled = ReadRecords(buffer)) > 0)
                _local.Write(buffer, 0, filled);
            _local.Socket.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            Fail("receiving", e);
            return false;
        }
    }

    /// <summary>
    /// Reads decrypted records into <paramref name="buffer"/> while more have arrived already, so that CRIU gets them in
    /// one write; never waits for a record that has not started arriving, so a lone page request passes at once.
    /// </summary>
    /// <returns>The bytes read; 0 at the end of the stream.</returns>
    private int ReadRecords(byte[] buffer)
    {
        int filled = 0, read;
        do
        {
            read = _remote.Stream.Read(buffer, filled, buffer.Length - filled);
            filled += read;
        }
        while (read > 0 && buffer.Length - filled >= MaxRecordPlaintext && _remote.UnderTls?.HasBufferedInput == true);
        return filled;
    }

    private static Task<bool> OnOwnThread(Func<bool> copy, string name)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => done.SetResult(copy())) { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
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
        await Task.WhenAll(_outbound, _inbound).ConfigureAwait(false);
        await _local.DisposeAsync().ConfigureAwait(false);
    }
}
