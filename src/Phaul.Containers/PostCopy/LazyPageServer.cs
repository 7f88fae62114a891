using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Phaul.Containers;

/// <summary>
/// The source's end of a container's post-copy: <c>runc checkpoint --lazy-pages --leave-running</c> on the paused container,
/// whose CRIU, once the images without the memory are written, serves the memory on a loopback port until the destination's
/// lazy-pages daemon has all of it. This process is CRIU's one client there; the relay carries the pages to the destination.
/// If the connection ends early, CRIU's dump fails and it leaves the container as it found it: paused, with all its memory.
/// </summary>
internal sealed partial class LazyPageServer : IDisposable
{
    // CRIU logs its client right after it accepted it; this bounds a log that never says so.
    private static readonly TimeSpan PeerLogDeadline = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PeerLogPoll = TimeSpan.FromMilliseconds(2);

    private readonly LazyCheckpointRun _run;
    private readonly Socket _connection;

    private LazyPageServer(LazyCheckpointRun run, Socket connection)
    {
        _run = run;
        _connection = connection;
    }

    /// <summary>The connection to CRIU's page server: the relay's source end.</summary>
    public Socket Connection => _connection;

    /// <summary>
    /// Checkpoints the paused container <paramref name="id"/> lazily and connects to its page server. Cancellation waits
    /// until CRIU is done with the container's processes (killing CRIU inside them would break them), then ends its serving.
    /// </summary>
    /// <exception cref="ContainerRuntimeException">The checkpoint failed, or another process reached CRIU's page server first.</exception>
    public static async Task<LazyPageServer> StartAsync(RuncRuntime runtime, string id, RuncCheckpointOptions checkpoint, CancellationToken cancellationToken)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, FreeLoopbackPort());
        var run = runtime.StartLazyCheckpoint(id, checkpoint, endPoint);
        LazyPageServer? server = null;
        try
        {
            await run.WaitUntilServingAsync().ConfigureAwait(false);
            var connection = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            server = new LazyPageServer(run, connection);
            await connection.ConnectAsync(endPoint, CancellationToken.None).ConfigureAwait(false);
            await server.CheckPeerAsync(id).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return server;
        }
        catch (Exception e) when (server is not null)
        {
            var ended = await server.StopAsync().ConfigureAwait(false);
            throw e is SocketException ? new ContainerRuntimeException($"container '{id}': CRIU's page server on {endPoint} could not be reached: {e.Message}", ended ?? e) : e;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>Waits until runc ends: every page was served (null), or why not.</summary>
    public Task<ContainerRuntimeException?> WaitForEndAsync(TimeSpan timeout) => _run.WaitForEndAsync(timeout);

    /// <summary>Ends CRIU's serving (its dump fails and it leaves the container paused, whole) and waits for runc.</summary>
    public async Task<ContainerRuntimeException?> StopAsync()
    {
        // Shut down first: a relay thread blocked reading the socket would keep a closed one open.
        try
        {
            _connection.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Never connected, or closed already.
        }
        _connection.Dispose();
        return await _run.WaitForEndAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
    }

    // A port the kernel had free a moment ago; should another process take it first, CRIU cannot listen and the checkpoint fails cleanly.
    private static int FreeLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Any local process may connect to the loopback port, and CRIU serves its first client: the one CRIU accepted must be us.
    /// (The window is from CRIU's listen to our connect, which follows its readiness at once.)
    /// </summary>
    private async Task CheckPeerAsync(string id)
    {
        var ours = ((IPEndPoint)_connection.LocalEndPoint!).Port;
        var deadline = DateTime.UtcNow + PeerLogDeadline;
        while (DateTime.UtcNow < deadline)
        {
            if (AcceptedPeer(_run.DumpLog) is { } peer)
            {
                if (peer.Port == ours && peer.Address == "127.0.0.1")
                    return;
                throw new ContainerRuntimeException(
                    $"container '{id}': another process ({peer.Address}:{peer.Port}) connected to CRIU's page server before the migration did; " +
                    "the migration was abandoned");
            }
            await Task.Delay(PeerLogPoll).ConfigureAwait(false);
        }
        throw new ContainerRuntimeException($"container '{id}': CRIU's log {_run.DumpLog} does not say which client its page server accepted");
    }

    private static (string Address, int Port)? AcceptedPeer(string dumpLog)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(dumpLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            while (reader.ReadLine() is { } line)
            {
                if (AcceptedLine().Match(line) is { Success: true } match)
                    return (match.Groups[1].Value, int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        catch (FileNotFoundException)
        {
        }
        return null;
    }

    [GeneratedRegex(@"Accepted connection from (\S+):(\d+)$")]
    private static partial Regex AcceptedLine();

    public void Dispose()
    {
        _connection.Dispose();
        _run.Dispose();
    }
}
