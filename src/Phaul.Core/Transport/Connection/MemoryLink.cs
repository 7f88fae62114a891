using Microsoft.Extensions.Logging;

namespace Phaul.Transport;

/// <summary>
/// The fd CRIU sends and receives pages over (<c>PhaulConfig.Memfd</c>) for one memory connection: one end of a Unix
/// socket pair, whose other end a <see cref="MemoryRelay"/> joins to the connection. Encrypted, CRIU cannot speak TLS
/// under our key. Unencrypted too, CRIU never gets the TCP socket: it corks a page server's socket (TCP_CORK) and sends
/// the last message of a session (the dump's close, the lazy page server's answer to it) without pushing it, so over
/// TCP that message waits for the kernel's 200 ms cork timer, inside the freeze for a dump. On the pair the cork is
/// refused, and the relay sends at once (TCP_NODELAY). Owns the connection.
/// </summary>
internal sealed class MemoryLink : IAsyncDisposable
{
    // With the default 208 KiB, CRIU's splices and the relay's 256 KiB reads kept waiting on each other: the encrypted
    // 1 GiB final dump wrote 582 MB/s with it and 767-985 MB/s with 4 MiB.
    private const int PairSendBuffer = 4 << 20;

    private readonly TransportConnection _connection;
    private readonly SafeFdHandle _criuEnd;
    private readonly MemoryRelay _relay;

    private MemoryLink(TransportConnection connection, SafeFdHandle criuEnd, MemoryRelay relay)
    {
        _connection = connection;
        _criuEnd = criuEnd;
        _relay = relay;
        CriuFd = (int)criuEnd.DangerousGetHandle();
    }

    /// <summary>The fd to give CRIU; valid until disposal.</summary>
    public int CriuFd { get; }

    /// <summary>Opens the link over an authenticated memory connection.</summary>
    public static MemoryLink Open(TransportConnection connection, ILogger logger)
    {
        var (relayEnd, criuEnd) = SocketPair.CreateStream(PairSendBuffer);
        return new MemoryLink(connection, criuEnd, MemoryRelay.Start(relayEnd, connection, logger));
    }

    /// <summary>Cuts the link both ways, as a network failure would: CRIU's transfer fails at once, and the peer sees the end.</summary>
    public void ShutDown() => _relay.ShutDown();

    /// <summary>
    /// Cuts the link and resets the connection, as a page server's death over a bare socket would: CRIU's transfer
    /// fails at once, and so does the peer's, even when it is blocked sending.
    /// </summary>
    public void Reset()
    {
        ShutDown();
        _connection.Reset();
    }

    public async ValueTask DisposeAsync()
    {
        await _relay.DisposeAsync().ConfigureAwait(false);
        _criuEnd.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
