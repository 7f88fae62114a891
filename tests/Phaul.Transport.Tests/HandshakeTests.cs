using System.Security.Cryptography;
using Google.Protobuf;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class HandshakeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // Versions either side of this build's, so that bumping the protocol never makes "another" version ours.
    private const uint Older = TransportProtocol.Version - 1;
    private const uint Newer = TransportProtocol.Version + 1;
    private static readonly byte[] NoSession = [];
    private static readonly byte[] NoBinding = [];

    [Fact]
    public async Task Both_sides_with_the_same_key_authenticate_each_other()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var sessionId = RandomNumberGenerator.GetBytes(TransportProtocol.SessionIdLength);
        var server = AcceptAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, sessionId);

        var confirmed = await ClientHandshake.RunAsync(pair.ClientChannel(), TestKeys.Shared, Channel.Control, NoSession, NoBinding, Timeout, CancellationToken.None);

        var hello = await server;
        Assert.Equal(Channel.Control, hello.Channel);
        Assert.Equal(sessionId, confirmed);
    }

    [Fact]
    public async Task A_memory_connection_authenticates_for_its_session()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var sessionId = RandomNumberGenerator.GetBytes(TransportProtocol.SessionIdLength);
        var server = AcceptAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, sessionId);

        var confirmed = await ClientHandshake.RunAsync(pair.ClientChannel(), TestKeys.Shared, Channel.Memory, sessionId, NoBinding, Timeout, CancellationToken.None);

        var hello = await server;
        Assert.Equal(Channel.Memory, hello.Channel);
        Assert.Equal(sessionId, hello.SessionId.ToByteArray());
        Assert.Equal(sessionId, confirmed);
    }

    [Fact]
    public async Task A_source_with_another_key_is_refused_by_the_destination()
    {
        // Failure handled: a source holding the wrong key that (unlike ours) ignores the destination's proof.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var rogue = pair.ClientChannel();
        var clientNonce = RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength);
        var serverHello = await SendHelloAsync(rogue, clientNonce);

        var transcript = new AuthTranscript(TransportProtocol.Version, Channel.Control, [], clientNonce, serverHello.ServerNonce.ToByteArray(), NoBinding);
        await SendProofAsync(rogue, AuthProof.ForSource(TestKeys.Other, transcript));

        var refused = await Assert.ThrowsAsync<TransportException>(() => server);
        Assert.Equal((TransportSide.Source, TransportPhase.Authentication), (refused.Side, refused.Phase));
        Assert.Contains("does not match", refused.Message);
        await AssertAbortedAsync(rogue, "authentication failed");
    }

    [Fact]
    public async Task A_destination_with_another_key_is_refused_by_the_source_before_it_proves_itself()
    {
        // Failure handled: an impostor destination (or a mismatched key file) on the address.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Other, NoBinding, Timeout, CancellationToken.None);

        var refused = await Assert.ThrowsAsync<TransportException>(() =>
            ClientHandshake.RunAsync(pair.ClientChannel(), TestKeys.Shared, Channel.Control, NoSession, NoBinding, Timeout, CancellationToken.None));

        Assert.Equal((TransportSide.Destination, TransportPhase.Authentication), (refused.Side, refused.Phase));
        Assert.Contains("could not prove it holds the pre-shared key", refused.Message);
        // The destination got an abort instead of the source's proof: nothing to replay or crack.
        var serverSaw = await Assert.ThrowsAnyAsync<TransportException>(() => server);
        Assert.Contains("gave up: the destination failed authentication", serverSaw.Message);
    }

    [Fact]
    public async Task A_source_without_the_key_that_skips_the_proof_is_refused_before_its_request()
    {
        // Failure handled: a peer that says hello and then sends a request instead of a proof.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var rogue = pair.ClientChannel();
        await SendHelloAsync(rogue, RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength));

        await rogue.SendAsync(new Envelope { StartIterRequest = new StartIterRequest() }, TransportPhase.StartIteration, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() => server);
        Assert.Contains("expected AuthResponse, got StartIterRequest", refused.Message);
        await AssertAbortedAsync(rogue, "expected AuthResponse");
    }

    [Fact]
    public async Task A_link_probe_without_the_proof_is_refused_and_its_filler_never_counted()
    {
        // Failure handled: a peer without the key tries the link probe (which the destination answers) before proving itself.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var rogue = pair.ClientChannel();
        await SendHelloAsync(rogue, RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength));

        await rogue.SendAsync(new Envelope { LinkProbe = new LinkProbe { Answer = true } }, TransportPhase.LinkProbe, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() => server);
        Assert.Contains("expected AuthResponse, got LinkProbe", refused.Message);
        await AssertAbortedAsync(rogue, "expected AuthResponse");
    }

    [Fact]
    public async Task A_request_before_any_hello_is_refused()
    {
        // Failure handled: a peer that does not authenticate at all.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var rogue = pair.ClientChannel();

        await rogue.SendAsync(new Envelope { RestoreRequest = new RestoreRequest() }, TransportPhase.Restore, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() => server);
        Assert.Contains("expected ClientHello, got RestoreRequest", refused.Message);
        await AssertAbortedAsync(rogue, "expected ClientHello");
    }

    [Fact]
    public async Task A_replayed_answer_to_an_old_challenge_is_refused()
    {
        // Failure handled: an eavesdropper replays a proof it saw in an earlier, genuine handshake.
        var clientNonce = RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength);
        byte[] recordedProof;
        ByteString oldServerNonce;
        await using (var first = await LoopbackPair.CreateAsync())
        {
            var server = ServerHandshake.RunAsync(first.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
            var genuine = first.ClientChannel();
            var hello = await SendHelloAsync(genuine, clientNonce);
            oldServerNonce = hello.ServerNonce;
            recordedProof = AuthProof.ForSource(TestKeys.Shared, new AuthTranscript(TransportProtocol.Version, Channel.Control, [], clientNonce, hello.ServerNonce.ToByteArray(), NoBinding));
            await SendProofAsync(genuine, recordedProof);
            Assert.Equal(Channel.Control, (await server).Channel);
        }

        await using var second = await LoopbackPair.CreateAsync();
        var replayed = ServerHandshake.RunAsync(second.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var attacker = second.ClientChannel();
        var freshHello = await SendHelloAsync(attacker, clientNonce);
        await SendProofAsync(attacker, recordedProof);

        Assert.NotEqual(oldServerNonce, freshHello.ServerNonce);
        Assert.Equal(TransportPhase.Authentication, (await Assert.ThrowsAsync<TransportException>(() => replayed)).Phase);
        await AssertAbortedAsync(attacker, "authentication failed");
    }

    [Fact]
    public async Task The_destinations_own_proof_sent_back_is_refused()
    {
        // Failure handled: a reflection attack, answering the challenge with the destination's proof.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var rogue = pair.ClientChannel();
        var hello = await SendHelloAsync(rogue, RandomNumberGenerator.GetBytes(TransportProtocol.NonceLength));

        await SendProofAsync(rogue, hello.ServerProof.ToByteArray());

        Assert.Equal(TransportPhase.Authentication, (await Assert.ThrowsAsync<TransportException>(() => server)).Phase);
    }

    [Fact]
    public async Task A_source_speaking_another_version_is_refused_naming_both_versions()
    {
        // Failure handled: hosts running different Phaul releases.
        await using var pair = await LoopbackPair.CreateAsync();
        var server = ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, Timeout, CancellationToken.None);
        var newer = pair.ClientChannel();
        var hello = new ClientHello { ProtocolVersion = Newer, Channel = Channel.Control, ClientNonce = ByteString.CopyFrom(new byte[TransportProtocol.NonceLength]) };

        await newer.SendAsync(new Envelope { ClientHello = hello }, TransportPhase.Handshake, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() => server);
        Assert.Contains($"the source speaks Phaul transport protocol version {Newer}, the destination speaks version {TransportProtocol.Version}", refused.Message);
        await AssertAbortedAsync(newer, $"the source speaks Phaul transport protocol version {Newer}, the destination speaks version {TransportProtocol.Version}");
    }

    [Fact]
    public async Task A_destination_speaking_another_version_is_refused_naming_both_versions()
    {
        // Failure handled: hosts running different Phaul releases, seen from the source.
        await using var pair = await LoopbackPair.CreateAsync();
        var client = ClientHandshake.RunAsync(pair.ClientChannel(), TestKeys.Shared, Channel.Control, NoSession, NoBinding, Timeout, CancellationToken.None);
        var older = pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength);
        await older.ReceiveAsync(Envelope.BodyOneofCase.ClientHello, TransportPhase.Handshake, Timeout, CancellationToken.None);

        var reply = new ServerHello { ProtocolVersion = Older, ServerNonce = ByteString.CopyFrom(new byte[TransportProtocol.NonceLength]), ServerProof = ByteString.CopyFrom(new byte[32]) };
        await older.SendAsync(new Envelope { ServerHello = reply }, TransportPhase.Handshake, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() => client);
        Assert.Contains($"the source speaks Phaul transport protocol version {TransportProtocol.Version}, the destination speaks version {Older}", refused.Message);
        var abort = await older.ReceiveAnyAsync(TransportPhase.Handshake, Timeout, CancellationToken.None);
        Assert.Contains($"version {TransportProtocol.Version}", abort.Abort.Reason);
        Assert.Contains($"version {Older}", abort.Abort.Reason);
    }

    [Fact]
    public async Task A_silent_peer_times_out_instead_of_hanging_the_destination()
    {
        // Failure handled: a peer that connects and never speaks.
        await using var pair = await LoopbackPair.CreateAsync();

        var refused = await Assert.ThrowsAnyAsync<TransportException>(() =>
            ServerHandshake.RunAsync(pair.ServerChannel(FrameCodec.HandshakeMaxFrameLength), TestKeys.Shared, NoBinding, TimeSpan.FromMilliseconds(200), CancellationToken.None));

        Assert.Equal(TransportPhase.Handshake, refused.Phase);
        Assert.Contains("no message from the source within 0.2 s", refused.Message);
    }

    [Fact]
    public void The_two_proofs_of_one_handshake_differ()
    {
        var transcript = new AuthTranscript(1, Channel.Control, [], new byte[32], new byte[32], NoBinding);
        Assert.NotEqual(AuthProof.ForSource(TestKeys.Shared, transcript), AuthProof.ForDestination(TestKeys.Shared, transcript));
        Assert.NotEqual(AuthProof.ForSource(TestKeys.Shared, transcript), AuthProof.ForSource(TestKeys.Other, transcript));
        Assert.NotEqual(AuthProof.ForSource(TestKeys.Shared, transcript),
                        AuthProof.ForSource(TestKeys.Shared, transcript with { Channel = Channel.Memory }));
    }

    /// <summary>The destination's side as the listener runs it: handshake, then accept with a session id.</summary>
    private static async Task<ClientHello> AcceptAsync(FrameChannel channel, PreSharedKey key, byte[] sessionId)
    {
        var hello = await ServerHandshake.RunAsync(channel, key, NoBinding, Timeout, CancellationToken.None);
        await channel.SendAsync(new Envelope { AuthAccepted = new AuthAccepted { SessionId = ByteString.CopyFrom(sessionId) } },
                                TransportPhase.Authentication, CancellationToken.None);
        return hello;
    }

    private static async Task<ServerHello> SendHelloAsync(FrameChannel channel, byte[] clientNonce)
    {
        var hello = new ClientHello { ProtocolVersion = TransportProtocol.Version, Channel = Channel.Control, ClientNonce = ByteString.CopyFrom(clientNonce) };
        await channel.SendAsync(new Envelope { ClientHello = hello }, TransportPhase.Handshake, CancellationToken.None);
        return (await channel.ReceiveAsync(Envelope.BodyOneofCase.ServerHello, TransportPhase.Handshake, Timeout, CancellationToken.None)).ServerHello;
    }

    private static ValueTask SendProofAsync(FrameChannel channel, byte[] proof) =>
        channel.SendAsync(new Envelope { AuthResponse = new AuthResponse { ClientProof = ByteString.CopyFrom(proof) } },
                          TransportPhase.Authentication, CancellationToken.None);

    private static async Task AssertAbortedAsync(FrameChannel channel, string reason)
    {
        var answer = await channel.ReceiveAnyAsync(TransportPhase.Authentication, Timeout, CancellationToken.None);
        Assert.Equal(Envelope.BodyOneofCase.Abort, answer.BodyCase);
        Assert.Contains(reason, answer.Abort.Reason);
    }
}
