using System.Net.Sockets;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class SocketSetupTests
{
    [Fact]
    public async Task Unacknowledged_data_fails_the_connection_after_30_seconds_instead_of_TCPs_15_minutes()
    {
        // Failure handled: a link cut while CRIU writes pages; keepalive alone never fires while data waits for its ACK.
        await using var pair = await LoopbackPair.CreateAsync();

        SocketSetup.Configure(pair.ClientSocket);

        var value = new byte[4];
        pair.ClientSocket.GetRawSocketOption((int)SocketOptionLevel.Tcp, 18, value);
        Assert.Equal(30_000u, BitConverter.ToUInt32(value));
        Assert.NotEqual(0, (int)pair.ClientSocket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }
}
