using System.Buffers.Binary;
using Google.Protobuf;
using Phaul.Transport.Protocol;

namespace Phaul.Transport.Tests;

public class FrameCodecTests
{
    private static readonly ByteString Bytes32 = ByteString.CopyFrom(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    /// <summary>The kind of every sample, for the theory (the wire types are internal, so rows carry names).</summary>
    public static TheoryData<string> EveryMessage() => [.. Samples().Select(sample => sample.BodyCase.ToString())];

    /// <summary>One sample of every message the envelope can carry.</summary>
    private static Envelope[] Samples() =>
        [
            new Envelope { ClientHello = new ClientHello { ProtocolVersion = 1, Channel = Channel.Memory, ClientNonce = Bytes32, SessionId = ByteString.CopyFrom(new byte[16]) } },
            new Envelope { ServerHello = new ServerHello { ProtocolVersion = 1, ServerNonce = Bytes32, ServerProof = Bytes32 } },
            new Envelope { AuthResponse = new AuthResponse { ClientProof = Bytes32 } },
            new Envelope { AuthAccepted = new AuthAccepted { SessionId = ByteString.CopyFrom(new byte[16]) } },
            new Envelope { StartIterRequest = new StartIterRequest { Iteration = 3 } },
            new Envelope { StartIterResult = new StartIterResult { Iteration = 3, Error = "page server failed" } },
            new Envelope { StopIterRequest = new StopIterRequest { Iteration = 3 } },
            new Envelope { StopIterResult = new StopIterResult { Iteration = 3 } },
            new Envelope { FileHeader = new FileHeader { Name = "core-1.img", Size = 12345 } },
            new Envelope { FileChunk = new FileChunk { Data = ByteString.CopyFrom(new byte[TransportProtocol.FileChunkLength]) } },
            new Envelope { FileEnd = new FileEnd { Sha256 = Bytes32 } },
            new Envelope { RestoreRequest = new RestoreRequest { FileCount = 7, TotalBytes = 99 } },
            new Envelope { RestoreResult = new RestoreResult { Pid = 4242, RestoreStats = ByteString.CopyFrom(1, 2, 3) } },
            new Envelope { Abort = new Abort { Reason = "bye", Phase = nameof(TransportPhase.Restore) } },
            new Envelope { CheckPostCopyRequest = new CheckPostCopyRequest() },
            new Envelope { CheckPostCopyResult = new CheckPostCopyResult { Available = false, Reason = "no userfaultfd" } },
            new Envelope { LazyPagesRequest = new LazyPagesRequest { FileCount = 7, TotalBytes = 99 } },
            new Envelope { LazyPagesResult = new LazyPagesResult { Error = "criu lazy-pages exited" } },
            new Envelope { LazyRestoreRequest = new LazyRestoreRequest() },
            new Envelope { WaitPagesRequest = new WaitPagesRequest() },
            new Envelope { WaitPagesResult = new WaitPagesResult { LostPid = 4242, Pages = new LazyPages { PagesTransferred = 10, PagesOnDemand = 0 } } },
            new Envelope { ExtensionRequest = new ExtensionRequest { Name = "phaul.filesystem", Payload = ByteString.CopyFromUtf8("{\"mode\":\"Subtree\"}") } },
            new Envelope { ExtensionResult = new ExtensionResult { Ok = false, Error = "rsync is not installed on the destination" } },
            new Envelope { ExtensionStreamOpen = new ExtensionStreamOpen { StreamId = 1, Name = "phaul.filesystem", Header = ByteString.CopyFromUtf8("[\"rsync\"]") } },
            new Envelope { ExtensionStreamData = new ExtensionStreamData { StreamId = 1, Data = ByteString.CopyFrom(new byte[64 * 1024]) } },
            new Envelope { ExtensionStreamEnd = new ExtensionStreamEnd { StreamId = 1, Error = "The destination's rsync was killed by signal 9" } },
            new Envelope { ExtensionStreamClose = new ExtensionStreamClose { StreamId = 1 } },
            new Envelope { ParentPageMapsRequest = new ParentPageMapsRequest { Ancestor = 2 } },
            new Envelope { ParentPageMapsResult = new ParentPageMapsResult { FileCount = 2, TotalBytes = 4096, Error = "" } },
            new Envelope { RestorePrepared = new RestorePrepared { Pid = 4242 } },
            new Envelope { HandOverCommit = new HandOverCommit() },
            new Envelope { HandOverOutcome = new HandOverOutcome { Resumed = true } },
            new Envelope { LinkProbe = new LinkProbe { Filler = ByteString.CopyFrom(new byte[TransportProtocol.FileChunkLength]), Answer = true } },
            new Envelope { LinkProbeResult = new LinkProbeResult { FillerBytes = 16 << 20 } },
        ];

    [Theory]
    [MemberData(nameof(EveryMessage))]
    public async Task Every_message_round_trips_through_a_frame(string kind)
    {
        var message = Samples().Single(sample => sample.BodyCase.ToString() == kind);
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, message, CancellationToken.None);
        stream.Position = 0;

        var read = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None);

        Assert.Equal(message, read);
        Assert.Equal(kind, read!.BodyCase.ToString());
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public void Every_message_kind_has_a_round_trip_sample()
    {
        var sampled = Samples().Select(sample => sample.BodyCase).ToHashSet();
        var all = Enum.GetValues<Envelope.BodyOneofCase>().Where(c => c != Envelope.BodyOneofCase.None);
        Assert.All(all, kind => Assert.Contains(kind, sampled));
    }

    [Fact]
    public async Task A_frame_is_a_big_endian_length_then_the_message()
    {
        var message = new Envelope { StartIterRequest = new StartIterRequest { Iteration = 2 } };
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, message, CancellationToken.None);

        var bytes = stream.ToArray();
        Assert.Equal((uint)message.CalculateSize(), BinaryPrimitives.ReadUInt32BigEndian(bytes));
        Assert.Equal(message.ToByteArray(), bytes[4..]);
    }

    [Fact]
    public async Task Reading_consumes_exactly_one_frame()
    {
        // The memory connection's socket goes to CRIU after its handshake: not a byte more may be read.
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new Envelope { StopIterRequest = new StopIterRequest { Iteration = 1 } }, CancellationToken.None);
        var firstFrameLength = stream.Length;
        await FrameCodec.WriteAsync(stream, new Envelope { StopIterRequest = new StopIterRequest { Iteration = 2 } }, CancellationToken.None);
        stream.Position = 0;

        var first = await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None);

        Assert.Equal(1u, first!.StopIterRequest.Iteration);
        Assert.Equal(firstFrameLength, stream.Position);
    }

    [Fact]
    public async Task A_clean_close_between_frames_reads_as_null()
    {
        using var stream = new MemoryStream();
        Assert.Null(await FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None));
    }

    [Fact]
    public async Task A_frame_truncated_in_its_length_is_refused()
    {
        // Failure handled: the peer died after writing part of the length prefix.
        using var stream = new MemoryStream([0, 0]);
        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains("Truncated frame", error.Message);
        Assert.Contains("2 of the 4 length bytes", error.Message);
    }

    [Fact]
    public async Task A_frame_truncated_in_its_message_is_refused()
    {
        // Failure handled: the peer died in the middle of a message.
        using var full = new MemoryStream();
        await FrameCodec.WriteAsync(full, new Envelope { FileHeader = new FileHeader { Name = "pstree.img", Size = 10 } }, CancellationToken.None);
        var bytes = full.ToArray();
        using var truncated = new MemoryStream(bytes[..^3]);

        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(truncated, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains($"after {bytes.Length - 4 - 3} of {bytes.Length - 4} announced bytes", error.Message);
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_before_its_payload_is_read()
    {
        // Failure handled: a peer announcing a huge frame to make us allocate it.
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, FrameCodec.MaxFrameLength + 1u);
        using var stream = new MemoryStream([.. prefix, .. new byte[16]]);

        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains($"Oversized frame: {FrameCodec.MaxFrameLength + 1} bytes announced, at most {FrameCodec.MaxFrameLength}", error.Message);
        Assert.Equal(4, stream.Position);
    }

    [Fact]
    public async Task The_handshake_limit_refuses_frames_a_hello_never_needs()
    {
        // Failure handled: an unauthenticated peer sending a big first frame.
        using var stream = new MemoryStream();
        await FrameCodec.WriteAsync(stream, new Envelope { FileChunk = new FileChunk { Data = ByteString.CopyFrom(new byte[4096]) } }, CancellationToken.None);
        stream.Position = 0;

        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.HandshakeMaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains("Oversized frame", error.Message);
    }

    [Fact]
    public async Task An_unknown_message_is_refused_naming_its_field()
    {
        // Failure handled: a newer peer sending a message this version does not know.
        using var payload = new MemoryStream();
        var output = new CodedOutputStream(payload);
        output.WriteTag(99, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFromUtf8("future"));
        output.Flush();
        using var stream = Frame(payload.ToArray());

        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains("Unknown message: field 99", error.Message);
    }

    [Fact]
    public async Task An_empty_frame_is_refused()
    {
        using var stream = Frame([]);
        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains("Empty message", error.Message);
    }

    [Fact]
    public async Task Bytes_that_are_not_a_message_are_refused()
    {
        // Failure handled: garbage (another protocol, or corruption) on the connection.
        using var stream = Frame([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        var error = await Assert.ThrowsAsync<TransportProtocolException>(() => FrameCodec.ReadAsync(stream, FrameCodec.MaxFrameLength, CancellationToken.None).AsTask());
        Assert.Contains("Malformed message of 6 bytes", error.Message);
    }

    [Fact]
    public async Task Writing_a_message_over_the_frame_limit_is_refused()
    {
        var huge = new Envelope { FileChunk = new FileChunk { Data = ByteString.CopyFrom(new byte[FrameCodec.MaxFrameLength]) } };
        using var stream = new MemoryStream();
        var error = await Assert.ThrowsAsync<ArgumentException>(() => FrameCodec.WriteAsync(stream, huge, CancellationToken.None).AsTask());
        Assert.Contains("exceeds the frame limit", error.Message);
        Assert.Equal(0, stream.Length);
    }

    private static MemoryStream Frame(byte[] payload)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)payload.Length);
        return new MemoryStream([.. prefix, .. payload]);
    }
}
