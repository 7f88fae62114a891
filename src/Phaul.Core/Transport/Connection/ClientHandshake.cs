using System.Security.Cryptography;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// The source's half of the mutual challenge-response. The source checks the destination's
/// version and proof before it proves itself, so it never answers a peer that lacks the key.
/// </summary>
internal static class ClientHandshake
{
    /// <summary>Runs the handshake for one connection.</summary>
    /// <param name="channel">The new connection.</param>
    /// <param name="key">The pre-shared key.</param>
    /// <param name="kind">What the connection will carry.</param>
    /// <param name="sessionId">The session a memory connection joins; empty for the control connection.</param>
    /// <param name="channelBinding">The TLS channel binding (<see cref="TransportTls"/>); empty on an unencrypted connection.</param>
    /// <param name="timeout">The deadline for each answer.</param>
    /// <param name="cancellationToken">Abandons the handshake.</param>
    /// <returns>The session id the destination confirmed.</returns>
    public static async Task<byte[]> RunAsync(FrameChannel channel, PreSharedKey key, Channel kind, byte[] sessionId,
                                              byte[] channelBinding, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength);
        var hello = new ClientHello
        {
            ProtocolVersion = TransportProtocol.Version,
            Channel = kind,
            ClientNonce = ByteString.CopyFrom(clientNonce),
            SessionId = ByteString.CopyFrom(sessionId),
        };
        await channel.SendAsync(new Envelope { ClientHello = hello }, TransportPhase.Handshake, cancellationToken).ConfigureAwait(false);

        var serverHello = (await channel.ReceiveAsync(Envelope.BodyOneofCase.ServerHello, TransportPhase.Handshake, timeout,
                                                      cancellationToken).ConfigureAwait(false)).ServerHello;
        var transcript = new AuthTranscript(TransportProtocol.Version, kind, sessionId, clientNonce, serverHello.ServerNonce.ToByteArray(),
                                            channelBinding);
        await CheckDestinationAsync(channel, key, transcript, serverHello, cancellationToken).ConfigureAwait(false);

        var response = new AuthResponse { ClientProof = ByteString.CopyFrom(AuthProof.ForSource(key, transcript)) };
        await channel.SendAsync(new Envelope { AuthResponse = response }, TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
        return await ReceiveVerdictAsync(channel, timeout, cancellationToken).ConfigureAwait(false);
    }

    private static async Task CheckDestinationAsync(FrameChannel channel, PreSharedKey key, AuthTranscript transcript,
                                                    ServerHello serverHello, CancellationToken cancellationToken)
    {
        if (serverHello.ProtocolVersion != TransportProtocol.Version)
        {
            var mismatch = TransportProtocol.DescribeVersionMismatch(TransportProtocol.Version, serverHello.ProtocolVersion);
            await channel.TryAbortAsync(mismatch, TransportPhase.Handshake, cancellationToken).ConfigureAwait(false);
            throw channel.Failure(TransportPhase.Handshake, mismatch);
        }
        if (transcript.ServerNonce.Length != TransportProtocol.NonceLength)
        {
            var reason = $"the destination's nonce has {transcript.ServerNonce.Length} bytes instead of {TransportProtocol.NonceLength}";
            await channel.TryAbortAsync(reason, TransportPhase.Handshake, cancellationToken).ConfigureAwait(false);
            throw channel.Failure(TransportPhase.Handshake, reason);
        }
        if (!AuthProof.Matches(AuthProof.ForDestination(key, transcript), serverHello.ServerProof.Span))
        {
            await channel.TryAbortAsync("the destination failed authentication", TransportPhase.Authentication, cancellationToken).ConfigureAwait(false);
            throw new TransportException(TransportSide.Destination, TransportPhase.Authentication,
                "the destination could not prove it holds the pre-shared key (the key files differ, another service answered, or a relay in the middle runs its own TLS)",
                endPoint: channel.PeerEndPoint);
        }
    }

    private static async Task<byte[]> ReceiveVerdictAsync(FrameChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var verdict = await channel.ReceiveAnyAsync(TransportPhase.Authentication, timeout, cancellationToken).ConfigureAwait(false);
        switch (verdict.BodyCase)
        {
            case Envelope.BodyOneofCase.AuthAccepted when verdict.AuthAccepted.SessionId.Length == TransportProtocol.SessionIdLength:
                return verdict.AuthAccepted.SessionId.ToByteArray();
            case Envelope.BodyOneofCase.Abort:
                throw new TransportException(TransportSide.Source, TransportPhase.Authentication,
                    $"the destination refused the source: {PeerText.Escape(verdict.Abort.Reason)}", endPoint: channel.PeerEndPoint);
            default:
                throw channel.Unexpected(verdict, "AuthAccepted with a session id", TransportPhase.Authentication);
        }
    }
}
