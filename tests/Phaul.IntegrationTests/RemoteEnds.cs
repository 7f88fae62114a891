using System.Net;
using Phaul.Transport;

namespace Phaul.IntegrationTests;

/// <summary>The two ends of a migration through Phaul.Transport on loopback: their directories and the destination service.</summary>
internal sealed class RemoteEnds : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("phaul-remote-").FullName;

    public RemoteEnds()
    {
        Source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        Destination = Directory.CreateDirectory(Path.Combine(_root, "destination")).FullName;
    }

    /// <summary>The source's Wdir.</summary>
    public string Source { get; }

    /// <summary>The destination service's Wdir.</summary>
    public string Destination { get; }

    /// <summary>Starts a destination service on a free loopback port, keeping its sessions under <see cref="Destination"/>.</summary>
    public MigrationListener StartListener(PreSharedKey key) =>
        MigrationListener.Start(new MigrationListenerOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0), Wdir = Destination, Key = key });

    /// <summary>Completes with the first session's end.</summary>
    public static Task<MigrationSessionEndedEventArgs> WhenSessionEnds(MigrationListener listener)
    {
        var ended = new TaskCompletionSource<MigrationSessionEndedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.SessionEnded += (_, e) => ended.TrySetResult(e);
        return ended.Task;
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
