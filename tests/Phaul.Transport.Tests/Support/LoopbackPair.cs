using System.Net;
using System.Net.Sockets;

namespace Phaul.Transport.Tests.Support;

/// <summary>Two connected TCP sockets on loopback: a real connection without a listener service.</summary>
internal sealed class LoopbackPair : IAsyncDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        ClientSocket = client;
        ServerSocket = server;
        Client = new NetworkStream(client, ownsSocket: false);
        Server = new NetworkStream(server, ownsSocket: false);
    }

    public Socket ClientSocket { get; }

    public Socket ServerSocket { get; }

    public NetworkStream Client { get; }

    public NetworkStream Server { get; }

    /// <summary>A channel on the client's end, whose peer is the destination.</summary>
    public FrameChannel ClientChannel(int maxFrameLength = FrameCodec.MaxFrameLength) =>
        new(Client, TransportSide.Destination, "test-destination") { MaxFrameLength = maxFrameLength };

    /// <summary>A channel on the server's end, whose peer is the source.</summary>
    public FrameChannel ServerChannel(int maxFrameLength = FrameCodec.MaxFrameLength) =>
        new(Server, TransportSide.Source, "test-source") { MaxFrameLength = maxFrameLength };

    public static async Task<LoopbackPair> CreateAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accepted = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        return new LoopbackPair(client, await accepted);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        ClientSocket.Dispose();
        ServerSocket.Dispose();
    }
}
