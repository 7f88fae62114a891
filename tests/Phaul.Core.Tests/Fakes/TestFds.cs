using System.Net.Sockets;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Fakes;

/// <summary>Real fds for requests: an images directory and a socket pair whose ends can serve as Ps.Fd or inherit fds.</summary>
internal sealed class TestFds : IDisposable
{
    private readonly Socket _first;
    private readonly SafeFdHandle _second;

    public TestFds()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("phaul-test-");
        Images = ImagesDirectory.Open(Directory.FullName);
        (_first, _second) = SocketPair.CreateSeqPacket();
    }

    public DirectoryInfo Directory { get; }

    public ImagesDirectory Images { get; }

    /// <summary>A .NET socket; <see cref="SocketFd"/> is its fd.</summary>
    public Socket Socket => _first;

    public int SocketFd => (int)_first.Handle;

    public int OtherSocketFd => _second.Fd;

    public CriuOpts Opts(string? logFile = null)
    {
        var opts = new CriuOpts { ImagesDirFd = Images.Fd };
        if (logFile is not null)
            opts.LogFile = logFile;
        return opts;
    }

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
        Images.Dispose();
        Directory.Delete(recursive: true);
    }
}
