using System.Collections.Concurrent;
using System.Text;
using Phaul.DemoWorkload;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>
/// The extension point: a package's handler in the destination's session, reached by requests and streams over the
/// session's control connection.
/// </summary>
public sealed class ExtensionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_reaches_the_sessions_own_handler_and_its_answer_comes_back()
    {
        var created = new ConcurrentQueue<EchoExtension>();
        await using var destination = Destination(created);
        await using var first = await destination.ConnectAsync(TestKeys.Shared);
        await using var second = await destination.ConnectAsync(TestKeys.Shared);

        var answer = await first.RequestAsync("test.echo", "hello"u8.ToArray(), Ct);
        await first.RequestAsync("test.echo", "again"u8.ToArray(), Ct);
        await second.RequestAsync("test.echo", "other"u8.ToArray(), Ct);

        Assert.Equal("echo: hello", Encoding.UTF8.GetString(answer));
        Assert.Equal([["hello", "again"], ["other"]], created.Select(extension => extension.Requests.ToArray()));
    }

    // Handles: a source naming an extension the destination did not register. Refused, naming it; the session goes on.
    [Fact]
    public async Task An_unknown_extension_is_refused_by_name_and_the_session_stays_usable()
    {
        await using var destination = Destination(new ConcurrentQueue<EchoExtension>());
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        var request = await Assert.ThrowsAsync<TransportException>(() => connection.RequestAsync("no.such", "x"u8.ToArray(), Ct));
        var stream = await Assert.ThrowsAsync<TransportException>(() => connection.OpenStreamAsync("no.such\nforged", "x"u8.ToArray(), Ct));

        Assert.Equal(TransportPhase.Extension, request.Phase);
        Assert.Equal(TransportSide.Destination, request.Side);
        Assert.Equal("the destination has no extension 'no.such'", request.Reason);
        Assert.Equal("the destination has no extension 'no.such\\u000aforged'", stream.Reason);
        Assert.Equal("echo: still here", Encoding.UTF8.GetString(await connection.RequestAsync("test.echo", "still here"u8.ToArray(), Ct)));
    }

    // Handles: a handler that throws. Its message reaches the source's exception; the session goes on.
    [Fact]
    public async Task A_handlers_exception_reaches_the_source_with_its_message_and_the_session_stays_usable()
    {
        await using var destination = Destination(new ConcurrentQueue<EchoExtension>());
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        var request = await Assert.ThrowsAsync<TransportException>(() => connection.RequestAsync("test.echo", "fail"u8.ToArray(), Ct));
        var stream = await connection.OpenStreamAsync("test.echo", "fail"u8.ToArray(), Ct);
        var streamed = await Assert.ThrowsAsync<TransportException>(() => ReadToEndAsync(stream));
        await stream.DisposeAsync();

        Assert.Equal(TransportPhase.Extension, request.Phase);
        Assert.Equal("the handler refused: fail", request.Reason);
        Assert.Equal("the handler refused the stream: fail", streamed.Reason);
        Assert.Equal("echo: after", Encoding.UTF8.GetString(await connection.RequestAsync("test.echo", "after"u8.ToArray(), Ct)));
    }

    [Fact]
    public async Task A_stream_carries_bytes_both_ways_and_ends_each_side_on_its_own()
    {
        await using var destination = Destination(new ConcurrentQueue<EchoExtension>());
        await using var connection = await destination.ConnectAsync(TestKeys.Shared);
        var payload = new byte[300_000]; // several frames
        Random.Shared.NextBytes(payload);

        byte[] echoed;
        await using (var stream = await connection.OpenStreamAsync("test.echo", "upper"u8.ToArray(), Ct))
        {
            var reading = ReadToEndAsync(stream);
            await stream.WriteAsync(payload, Ct);
            await stream.WriteAsync(ReadOnlyMemory<byte>.Empty, Ct); // ends the source's side: the handler reads the end
            echoed = await reading;
        }

        Assert.Equal([.. "header upper:"u8, .. payload, .. ":end"u8], echoed);
        Assert.Equal("echo: next", Encoding.UTF8.GetString(await connection.RequestAsync("test.echo", "next"u8.ToArray(), Ct)));
    }

    // Handles: the source vanishes in the middle of a session. Each extension it used ends, once, not migrated.
    [Fact]
    public async Task A_source_that_disconnects_mid_session_ends_its_extensions_unmigrated()
    {
        var created = new ConcurrentQueue<EchoExtension>();
        await using var destination = Destination(created);
        var connection = await destination.ConnectAsync(TestKeys.Shared);
        await connection.RequestAsync("test.echo", "prepare"u8.ToArray(), Ct);

        connection.Sever();
        await connection.DisposeAsync();

        var extension = Assert.Single(created);
        await Poll.UntilAsync(() => extension.Ends.IsEmpty ? null : "ended", Patience, "the session's end to end its extension", Ct);
        await destination.SessionEnded.WaitAsync(Patience, Ct);
        Assert.Equal([false], extension.Ends);
    }

    private static FakeDestination Destination(ConcurrentQueue<EchoExtension> created) =>
        new(TestKeys.Shared, configure: options => options with
        {
            Extensions = new Dictionary<string, Func<IDestinationExtension>>
            {
                ["test.echo"] = () =>
                {
                    var extension = new EchoExtension();
                    created.Enqueue(extension);
                    return extension;
                },
            },
        });

    private static async Task<byte[]> ReadToEndAsync(Stream stream)
    {
        using var all = new MemoryStream();
        await stream.CopyToAsync(all, Ct);
        return all.ToArray();
    }

    /// <summary>Answers "echo: " and the request; a stream gets the header, what the source sent, then ":end".</summary>
    private sealed class EchoExtension : IDestinationExtension
    {
        public ConcurrentQueue<string> Requests { get; } = new();

        public ConcurrentQueue<bool> Ends { get; } = new();

        public Task<byte[]> HandleRequestAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            var text = Encoding.UTF8.GetString(request.Span);
            if (text == "fail")
                throw new InvalidOperationException("the handler refused: fail");
            Requests.Enqueue(text);
            return Task.FromResult(Encoding.UTF8.GetBytes("echo: " + text));
        }

        public async Task HandleStreamAsync(ReadOnlyMemory<byte> header, Stream stream, CancellationToken cancellationToken)
        {
            var text = Encoding.UTF8.GetString(header.Span);
            if (text == "fail")
                throw new IOException("the handler refused the stream: fail");
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"header {text}:"), cancellationToken);
            await stream.CopyToAsync(stream, cancellationToken);
            await stream.WriteAsync(":end"u8.ToArray(), cancellationToken);
        }

        public Task EndAsync(bool migrated, CancellationToken cancellationToken)
        {
            Ends.Enqueue(migrated);
            return Task.CompletedTask;
        }
    }
}
