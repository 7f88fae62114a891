using System.Net.Sockets;

namespace Phaul.Benchmarks;

/// <summary>A temporary directory for one measurement, removed afterwards.</summary>
internal sealed class Scratch : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("phaul-bench-");

    /// <summary>A new empty subdirectory.</summary>
    public string Sub(string name) => _root.CreateSubdirectory(name).FullName;

    /// <summary>A connected pair of Unix stream sockets, as the README sample makes them.</summary>
    public async Task<(Socket Source, Socket Destination)> SocketPairAsync(CancellationToken cancellationToken)
    {
        var path = Path.Combine(_root.FullName, "memory.sock");
        var endpoint = new UnixDomainSocketEndPoint(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(endpoint);
        listener.Listen(1);
        var source = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var accept = listener.AcceptAsync(cancellationToken).AsTask();
        await source.ConnectAsync(endpoint, cancellationToken);
        var destination = await accept;
        File.Delete(path);
        return (source, destination);
    }

    public void Dispose() => _root.Delete(recursive: true);
}
