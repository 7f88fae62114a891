using System.Net.Sockets;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The fd CRIU moves pages over, encrypted or not.</summary>
public class MemoryLinkTests
{
    private const int SolTcp = 6;
    private const int TcpCork = 3;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Failure handled: CRIU corks a page server's TCP socket and sends the last message of a session (the dump's close,
    // the lazy page server's answer to it) without pushing it, so the kernel held it for its 200 ms cork timer: inside
    // the freeze for every unencrypted dump (4 MiB stop-and-copy downtime 274 ms instead of 70 ms), and 430-454 ms
    // between the resume and the last page of an unencrypted post-copy. CRIU must get a socket it cannot cork.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Criu_gets_a_socket_it_cannot_cork_and_what_it_writes_reaches_the_destinations_criu(bool plaintext)
    {
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { InsecurePlaintext = plaintext });
        await using var connection = await destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions { InsecurePlaintext = plaintext });
        await connection.Remote.StartIterAsync(Ct);
        using var source = new Socket(new SafeSocketHandle(connection.Memfd, ownsHandle: false));
        using var target = new Socket(new SafeSocketHandle(destination.Targets.Single().Config.Memfd, ownsHandle: false));

        var cork = Assert.Throws<SocketException>(() => source.SetRawSocketOption(SolTcp, TcpCork, BitConverter.GetBytes(1)));
        source.Send("PS_IOV_CLOSE"u8);
        var received = new byte[12];
        var length = await ReceiveExactlyAsync(target, received);

        Assert.Equal(AddressFamily.Unix, source.AddressFamily);
        Assert.Equal(SocketError.OperationNotSupported, cork.SocketErrorCode);
        Assert.Equal("PS_IOV_CLOSE", System.Text.Encoding.ASCII.GetString(received, 0, length));
    }

    private static async Task<int> ReceiveExactlyAsync(Socket socket, byte[] buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), Ct);
            if (read == 0)
                break;
            filled += read;
        }
        return filled;
    }
}
