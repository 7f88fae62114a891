using System.Net;
using System.Net.Sockets;

namespace Phaul.Testing;

/// <summary>
/// A TCP relay on the path between a source and its destination that flips bytes of one connection's stream in one
/// direction, as an attacker without the key would: sources connect to <see cref="EndPoint"/>, and every connection
/// is passed on to the destination unchanged except for <c>length</c> bytes from <c>offset</c> of connection number
/// <c>connection</c> (0 is the first the relay accepted: a migration's control connection; 1 its memory connection).
/// </summary>
public sealed class TamperingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _destination;
    private readonly Target _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private long _flipped;

    private TamperingRelay(IPEndPoint destination, Target target)
    {
        _destination = destination;
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Where the source connects instead of the destination.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>How many bytes were flipped so far.</summary>
    public long Flipped => Interlocked.Read(ref _flipped);

    /// <summary>Bytes relayed so far per connection and direction (to the destination, to the source).</summary>
    public List<(long ToDestination, long ToSource)> Relayed { get; } = [];

    /// <summary>Starts a relay that flips <paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
    /// <param name="destination">The real destination.</param>
    /// <param name="connection">Which accepted connection to tamper with (0 first); -1 for none.</param>
    /// <param name="toDestination">Tamper with what the source sends (else with what the destination sends).</param>
    /// <param name="offset">The first byte flipped, counted in that direction of that connection.</param>
    /// <param name="length">How many bytes are flipped.</param>
    public static TamperingRelay Start(IPEndPoint destination, int connection = -1, bool toDestination = true, long offset = 0, int length = 64) =>
        new(destination, new Target(connection, toDestination, offset, length));

    private async Task AcceptAsync()
    {
        for (var index = 0; ; index++)
        {
            Socket source;
            try
            {
                source = await _listener.AcceptSocketAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            lock (Relayed)
            {
                Relayed.Add((0, 0));
                _pumps.Add(RelayAsync(source, index));
            }
        }
    }

    private async Task RelayAsync(Socket source, int index)
    {
        using (source)
        using (var destination = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            try
            {
                await destination.ConnectAsync(_destination, _stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                return;
            }
            await Task.WhenAll(PumpAsync(source, destination, index, toDestination: true),
                               PumpAsync(destination, source, index, toDestination: false));
        }
    }

    private async Task PumpAsync(Socket from, Socket to, int index, bool toDestination)
    {
        var buffer = new byte[64 * 1024];
        long position = 0;
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, _stopping.Token)) > 0)
            {
                if (index == _target.Connection && toDestination == _target.ToDestination)
                    Flip(buffer.AsSpan(0, read), position);
                position += read;
                Count(index, toDestination, read);
                await to.SendAsync(buffer.AsMemory(0, read), _stopping.Token);
            }
            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away or the relay stops: the other side sees the end.
            from.Dispose();
            to.Dispose();
        }
    }

    private void Flip(Span<byte> chunk, long position)
    {
        var first = Math.Max(_target.Offset, position);
        var end = Math.Min(_target.Offset + _target.Length, position + chunk.Length);
        for (var at = first; at < end; at++)
            chunk[(int)(at - position)] ^= 0x5a;
        if (end > first)
            Interlocked.Add(ref _flipped, end - first);
    }

    private void Count(int index, bool toDestination, int bytes)
    {
        lock (Relayed)
        {
            var (down, up) = Relayed[index];
            Relayed[index] = toDestination ? (down + bytes, up) : (down, up + bytes);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (Relayed)
            pumps = [.. _pumps];
        await Task.WhenAll(pumps);
        _stopping.Dispose();
    }

    private sealed record Target(int Connection, bool ToDestination, long Offset, int Length);
}
