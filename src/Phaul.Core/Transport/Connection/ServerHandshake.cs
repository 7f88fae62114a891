using System.Security.Cryptography;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The destination's half of the mutual challenge-response. It reads nothing but the hello and
/// the proof before the source is authenticated, and refuses any other message with an abort.
/// </summary>
internal static class ServerHandshake
{
    /// <summary>Authenticates a new connection; on failure tells the peer why and throws.</summary>
    /// <param name="channel">The accepted connection.</param>
    /// <param name="key">The pre-shared key.</param>
    /// <param name="channelBinding">The TLS channel binding (<see cref="TransportTls"/>); empty on an unencrypted connection.</param>
    /// <param name="timeout">The deadline for each message.</param>
    /// <param name="cancellationToken">Abandons the handshake.</param>
    /// <returns>The authenticated source's hello: which channel it opens, and for which session.</returns>
    /// <exception cref="TransportException">The peer was refused.</exception>
    public static async Task<ClientHello> RunAsync(FrameChannel channel, PreSharedKey key, byte[] channelBinding,
                                                   TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await AuthenticateAsync(channel, key, channelBinding, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TransportException e)
        {
            await channel.TryAbortAsync(e.Reason, e.Phase, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<ClientHello> AuthenticateAsync(FrameChannel channel, PreSharedKey key, byte[] channelBinding, TimeSpan timeout,
                                                             CancellationToken cancellationToken)
    {
        var hello = (await channel.ReceiveAsync(Envelope.BodyOneofCase.ClientHello, TransportPhase.Handshake, timeout,
                                                cancellationToken).ConfigureAwait(false)).ClientHello;
        if (hello.ProtocolVersion != TransportProtocol.Version)
            throw channel.Failure(TransportPhase.Handshake, TransportProtocol.DescribeVersionMismatch(hello.ProtocolVersion, TransportProtocol.Version));
        CheckHello(channel, hello);

        var serverNonce = RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength);
        var transcript = new AuthTranscript(TransportProtocol.Version, hello.Channel, hello.SessionId.ToByteArray(),
                                            hello.ClientNonce.ToByteArray(), serverNonce, channelBinding);
        var serverHello = new ServerHello
        {
            ProtocolVersion = TransportProtocol.Version,
            ServerNonce = ByteString.CopyFrom(serverNonce),
            ServerProof = ByteString.CopyFrom(AuthProof.ForDestination(key, transcript)),
        };
        await channel.SendAsync(new Envelope { ServerHello = serverHello }, TransportPhase.Handshake, cancellationToken).ConfigureAwait(false);

        var response = (await channel.ReceiveAsync(Envelope.BodyOneofCase.AuthResponse, TransportPhase.Authentication, timeout,
                                                   cancellationToken).ConfigureAwait(false)).AuthResponse;
        if (!AuthProof.Matches(AuthProof.ForSource(key, transcript), response.ClientProof.Span))
            throw new TransportException(TransportSide.Source, TransportPhase.Authentication,
                "authentication failed: the source's proof does not match this destination's pre-shared key (or a relay in the middle runs its own TLS)",
                endPoint: channel.PeerEndPoint);
        return hello;
    }

    private static void CheckHello(FrameChannel channel, ClientHello hello)
    {
        if (hello.ClientNonce.Length != TransportProtocol.NonceLength)
            throw channel.Failure(TransportPhase.Handshake, $"the source's nonce has {hello.ClientNonce.Length} bytes instead of {TransportProtocol.NonceLength}");
        var expectedSessionIdLength = hello.Channel switch
        {
            Channel.Control => 0,
            Channel.Memory or Channel.HandOverQuery => TransportProtocol.SessionIdLength,
            _ => throw channel.Failure(TransportPhase.Handshake, $"the source asked for an unknown channel {hello.Channel}"),
        };
        if (hello.SessionId.Length != expectedSessionIdLength)
            throw channel.Failure(TransportPhase.Handshake, $"a {hello.Channel} connection must carry a session id of {expectedSessionIdLength} bytes, not {hello.SessionId.Length}");
    }
}
