using System.Net.Sockets;
using Google.Protobuf;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The client end of a swrk socket: one protobuf message per SOCK_SEQPACKET datagram. A datagram
/// longer than the buffer would be cut silently, so the buffer is one byte larger than the largest
/// message accepted and a datagram that fills it is rejected.
/// </summary>
internal sealed class SwrkChannel : IDisposable
{
    /// <summary>The largest message accepted either way; CRIU's are a few hundred bytes.</summary>
    public const int MaxMessageBytes = 64 * 1024;

    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[MaxMessageBytes + 1];

    public SwrkChannel(Socket socket) => _socket = socket;

    public async Task SendAsync(CriuReq request, CriuReqType servedRequest, CancellationToken cancellationToken)
    {
        var bytes = request.ToByteArray();
        if (bytes.Length > MaxMessageBytes)
            throw new CriuProtocolException(servedRequest, $"the request is {bytes.Length} bytes, more than the {MaxMessageBytes} allowed");
        var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (sent != bytes.Length)
            throw new IOException($"swrk socket took {sent} of {bytes.Length} bytes of a {request.Type} message");
    }

    /// <summary>The next response, or <see langword="null"/> when CRIU closed its end.</summary>
    public async Task<CriuResp?> ReceiveAsync(CriuReqType servedRequest, CancellationToken cancellationToken)
    {
        var length = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (length == 0)
            return null;
        if (length > MaxMessageBytes)
            throw new CriuProtocolException(servedRequest, $"CRIU sent a message longer than {MaxMessageBytes} bytes (truncated)");
        try
        {
            return CriuResp.Parser.ParseFrom(_buffer, 0, length);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new CriuProtocolException(servedRequest, $"CRIU sent {length} bytes that are not a CriuResp message: {e.Message}", e);
        }
    }

    public void Dispose() => _socket.Dispose();
}
