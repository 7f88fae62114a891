using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.Core.Tests.Fakes;

/// <summary>
/// Launches in-process fake CRIUs: each launch runs the next script against a <see cref="FakeSwrkPeer"/>
/// on the other end of a real socketpair. A launch with no script left fails the test.
/// </summary>
internal sealed class FakeSwrkLauncher : IDisposable
{
    private readonly Queue<Func<FakeSwrkPeer, Task>> _scripts;
    private readonly List<Task> _running = [];
    private readonly FakeLauncher _launcher;

    public FakeSwrkLauncher(params Func<FakeSwrkPeer, Task>[] scripts)
    {
        _scripts = new Queue<Func<FakeSwrkPeer, Task>>(scripts);
        _launcher = new FakeLauncher(this);
    }

    public List<FakeSwrkPeer> Peers { get; } = [];

    /// <summary>Output the fake CRIUs "printed".</summary>
    public IReadOnlyList<string> Output { get; set; } = [];

    internal ISwrkLauncher Launcher => _launcher;

    /// <summary>A <see cref="Criu"/> whose sessions are these fakes.</summary>
    public Criu CreateCriu() => new(_launcher, NullLogger.Instance);

    /// <summary>Waits for every script to finish and rethrows what failed in them.</summary>
    public Task ScriptsCompletedAsync() => Task.WhenAll(_running).WaitAsync(FakeSwrkPeer.Deadline);

    public void Dispose()
    {
        foreach (var peer in Peers)
            peer.Dispose();
    }

    private sealed class FakeLauncher(FakeSwrkLauncher owner) : ISwrkLauncher
    {
        private int _nextPid = 40000;

        public string Description => "fake criu";

        // No binary runs: the peer scripts stand for CRIU.
        public string ResolveBinary() => throw new NotSupportedException("the fake swrk launcher runs no CRIU binary");

        public SwrkSession Launch(IReadOnlyList<int> callerFds)
        {
            Assert.True(owner._scripts.Count > 0, $"unexpected launch #{owner.Peers.Count + 1} of a swrk session");
            var (local, remote) = SocketPair.CreateSeqPacket();
            var peerSocket = new System.Net.Sockets.Socket(new System.Net.Sockets.SafeSocketHandle(remote.DangerousGetHandle(), true));
            remote.SetHandleAsInvalid();
            var peer = new FakeSwrkPeer(peerSocket, [.. callerFds]);
            owner.Peers.Add(peer);
            var script = owner._scripts.Dequeue();
            owner._running.Add(Task.Run(() => script(peer)));
            var process = new FakeSwrkProcess(peer, _nextPid++) { Output = owner.Output };
            return new SwrkSession(new SwrkChannel(local), process, callerFds, NullLogger.Instance);
        }
    }
}
