using System.Net;
using System.Net.Sockets;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>What connections that never authenticate can and cannot do to a destination.</summary>
public class AdmissionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_source_gets_through_while_100_idle_connections_are_held_open()
    {
        // Attack handled: 16 silent connections (the old connection limit) locked every source out for 10 s each.
        await using var destination = new FakeDestination(TestKeys.Shared);
        var idle = await OpenIdleAsync(destination.Listener.LocalEndPoint, 100);
        try
        {
            await using var connection = await destination.ConnectAsync(TestKeys.Shared);
            await connection.Remote.StartIterAsync(Ct);
            await connection.Remote.StopIterAsync(Ct);
            Assert.Single(destination.Targets);
        }
        finally
        {
            idle.ForEach(socket => socket.Dispose());
        }
    }

    [Fact]
    public async Task A_source_refused_for_lack_of_room_is_told_why()
    {
        // Failure handled: the source only heard "the destination closed the connection". Here the only slot holds a
        // peer that greeted and then stalls, so it is not dropped for the newcomer.
        await using var destination = new FakeDestination(TestKeys.Shared,
            configure: options => options with { MaxPendingConnections = 1, MaxPendingConnectionsPerAddress = 1 });
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stalled.ConnectAsync(destination.Listener.LocalEndPoint, Ct);
        await stalled.SendAsync(ConnectionGreeting.SourceLine(plaintext: false), Ct);
        Assert.EndsWith(" ok", await ReadLineAsync(stalled));

        var refused = await Assert.ThrowsAsync<TransportException>(() => destination.ConnectAsync(TestKeys.Shared));

        Assert.Contains("the destination refused the connection: 1 connections from 127.0.0.1 are authenticating already", refused.Message);
    }

    [Fact]
    public async Task An_idle_connection_dropped_for_a_newcomer_is_told_why()
    {
        await using var destination = new FakeDestination(TestKeys.Shared,
            configure: options => options with { MaxPendingConnectionsPerAddress = 1 });
        using var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync(destination.Listener.LocalEndPoint, Ct);
        await WaitUntilAdmittedAsync(destination, 1);

        await using var connection = await destination.ConnectAsync(TestKeys.Shared);

        Assert.Contains("refused dropped before its greeting to make room for a newer connection", await ReadLineAsync(idle));
    }

    [Fact]
    public async Task A_peer_that_trickles_its_greeting_is_cut_off_at_the_handshake_deadline()
    {
        // Attack handled: a slow peer extending its hold on a slot by sending a byte now and then.
        await using var destination = new FakeDestination(TestKeys.Shared, configure: options => options with { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        using var slow = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await slow.ConnectAsync(destination.Listener.LocalEndPoint, Ct);
        var started = DateTime.UtcNow;

        var greeting = ConnectionGreeting.SourceLine(plaintext: false);
        var cutOff = false;
        for (var sent = 0; sent < greeting.Length - 1 && !cutOff; sent++)
        {
            await Task.Delay(100, Ct); // the trickle itself, not a wait for the system under test
            cutOff = !await TrySendAsync(slow, greeting.AsMemory(sent, 1));
        }
        var closedAt = await WaitForCloseAsync(slow);

        Assert.InRange(closedAt - started, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Refusals_are_logged_with_the_peers_text_escaped_and_at_a_bounded_rate()
    {
        // Attack handled: a peer's abort reason went verbatim into the log before authentication (a forged log
        // line here), and every refused connection was logged.
        await using var destination = new FakeDestination(TestKeys.Shared);
        for (var i = 0; i < 30; i++)
            await SendForgedAbortAsync(destination.Listener.LocalEndPoint, "bye\n2026-12-03 INFO Migrated pid 1\u001b[2K");
        // Each connection is logged before the listener closes it, and the loop waited for every close.
        var refusals = destination.LoggerFactory.Messages(3002);

        Assert.All(refusals, message => Assert.DoesNotContain('\n', message));
        Assert.All(refusals, message => Assert.DoesNotContain('\u001b', message));
        Assert.Contains(@"bye\u000a2026-12-03 INFO Migrated pid 1\u001b[2K", refusals[0]);
        Assert.True(refusals.Count <= 20, $"{refusals.Count} refusals logged");
    }

    [Fact]
    public void An_address_at_its_cap_gives_up_its_oldest_idle_connection_and_greeted_ones_are_kept()
    {
        var admission = new ConnectionAdmission(maxPending: 10, maxPendingPerAddress: 2, maxAuthenticated: 1);
        var attacker = IPAddress.Parse("192.0.2.7");
        using var first = admission.Admit(attacker, out _)!;
        using var second = admission.Admit(attacker, out _)!;
        second.MarkGreeted();

        using var third = admission.Admit(attacker, out var refusal);

        Assert.Null(refusal);
        Assert.True(first.Evicted.IsCancellationRequested);
        Assert.False(second.Evicted.IsCancellationRequested);
        third!.MarkGreeted();
        Assert.Null(admission.Admit(attacker, out refusal));
        Assert.Equal("2 connections from 192.0.2.7 are authenticating already", refusal);
        using var elsewhere = admission.Admit(IPAddress.Parse("192.0.2.8"), out _);
        Assert.NotNull(elsewhere);
    }

    [Fact]
    public void Authenticated_connections_have_slots_of_their_own()
    {
        var admission = new ConnectionAdmission(maxPending: 1, maxPendingPerAddress: 1, maxAuthenticated: 1);
        using var session = admission.Admit(IPAddress.Loopback, out _)!;
        Assert.True(session.TryAuthenticate());

        using var next = admission.Admit(IPAddress.Loopback, out var refusal);

        Assert.Null(refusal); // the authenticated one no longer counts against the unauthenticated slots
        Assert.False(next!.TryAuthenticate()); // but the authenticated slots are full
    }

    private static async Task<List<Socket>> OpenIdleAsync(IPEndPoint destination, int count)
    {
        var sockets = new List<Socket>(count);
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            // From ten addresses, as a small botnet would.
            socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.0.{2 + i % 10}"), 0));
            await socket.ConnectAsync(destination, Ct);
            sockets.Add(socket);
        }
        return sockets;
    }

    private static async Task SendForgedAbortAsync(IPEndPoint destination, string reason)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(destination, Ct);
        await using var network = new NetworkStream(socket, ownsSocket: false);
        await network.WriteAsync(ConnectionGreeting.SourceLine(plaintext: false), Ct);
        await ConnectionGreeting.ReadLineAsync(network, Ct);
        var (tls, _) = await TransportTls.AuthenticateAsSourceAsync(network, Ct);
        await using (tls)
        {
            await FrameCodec.WriteAsync(tls, new Envelope { Abort = new Abort { Reason = reason, Phase = "Handshake" } }, Ct);
            await WaitForCloseAsync(socket);
        }
    }

    private static async Task<string> ReadLineAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        return await ConnectionGreeting.ReadLineAsync(stream, deadline.Token) ?? "(closed)";
    }

    private static async Task<bool> TrySendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        try
        {
            await socket.SendAsync(data, Ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<DateTime> WaitForCloseAsync(Socket socket)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(Patience);
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, deadline.Token) > 0)
            {
            }
        }
        catch (SocketException)
        {
            // Reset: closed too.
        }
        return DateTime.UtcNow;
    }

    private static async Task WaitUntilAdmittedAsync(FakeDestination destination, int connections)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (destination.LoggerFactory.Messages(3001).Count < connections)
        {
            Assert.True(DateTime.UtcNow < deadline, "the listener did not accept the connection");
            await Task.Delay(10, Ct);
        }
    }
}
