using System.Net.Sockets;

namespace Phaul.PreCopyLane;

/// <summary>The memory socket of an in-process migration: one connected pair of Unix stream sockets (as in README.md).</summary>
internal sealed class MemorySocketPair : IDisposable
{
    private MemorySocketPair(Socket source, Socket destination)
    {
        Source = source;
        Destination = destination;
    }

    /// <summary>The source's end: its CRIU sends pages into it.</summary>
    public Socket Source { get; }

    /// <summary>The destination's end: its page server reads pages from it.</summary>
    public Socket Destination { get; }

    public static MemorySocketPair Connect()
    {
        var socketPath = Path.Combine(Path.GetTempPath(), $"phaul-lane-{Guid.NewGuid():N}.sock");
        var endpoint = new UnixDomainSocketEndPoint(socketPath);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var source = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            source.Connect(endpoint);
            return new MemorySocketPair(source, listener.Accept());
        }
        catch
        {
            source.Dispose();
            throw;
        }
        finally
        {
            File.Delete(socketPath);
        }
    }

    public void Dispose()
    {
        Source.Dispose();
        Destination.Dispose();
    }
}
