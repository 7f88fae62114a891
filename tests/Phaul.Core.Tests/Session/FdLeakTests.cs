using System.Diagnostics;
using System.Net.Sockets;
using Phaul.Core.Tests.Fakes;
using Phaul.Rpc;
using static Phaul.Core.Tests.Fakes.Deadlines;

namespace Phaul.Core.Tests.Session;

[CollectionDefinition(DisableParallelization = true)]
public sealed class FdAccounting;

/// <summary>
/// The fds a request names reach CRIU and nothing else: not a process the application starts at
/// the same moment, and none stays open in this process after the session ends. Runs alone so
/// other tests' fds do not blur the counts.
/// </summary>
[Collection(typeof(FdAccounting))]
public sealed class FdLeakTests : IDisposable
{
    private const int Spawns = 40;
    private readonly TestFds _fds = new();

    [Fact]
    public async Task FdsPassedToSwrk_NeverReachAProcessStartedConcurrently()
    {
        // A socket .NET created (close-on-exec, like every .NET fd) and one from a socketpair.
        using var dotnetSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var secrets = new[] { FdLinks.Target((int)dotnetSocket.Handle), FdLinks.Target(_fds.OtherSocketFd) };
        using var binary = new FakeCriuBinary("ls -l /proc/$$/fd >&2\nexit 3");
        using var criu = new Criu(binary.Path);
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = (int)dotnetSocket.Handle };
        opts.InheritFd.Add(new InheritFd { Key = "k", Fd = _fds.OtherSocketFd });
        using var spawning = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var bystanders = Task.WhenAll(Task.Run(() => ListFdsOfConcurrentChildren(spawning.Token), Ct),
                                      Task.Run(() => ListFdsOfConcurrentChildren(spawning.Token), Ct));
        var swrkSaw = new List<string>();
        for (var i = 0; i < Spawns; i++)
            swrkSaw.Add((await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(opts, null, Ct).WithDeadline())).Message);
        await spawning.CancelAsync();
        var childrenSaw = (await bystanders.WithDeadline()).SelectMany(outputs => outputs).ToList();

        Assert.All(swrkSaw, seen => Assert.All(secrets, secret => Assert.Contains(secret, seen, StringComparison.Ordinal)));
        Assert.True(childrenSaw.Count >= 10, $"only {childrenSaw.Count} bystanders ran while swrk was spawned");
        Assert.All(childrenSaw, seen => Assert.All(secrets, secret => Assert.DoesNotContain(secret, seen, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheBystanderCheck_SeesAnFdThatIsInheritable()
    {
        // Proves the check above can fail: an fd without close-on-exec does reach Process.Start children.
        var inheritable = Interop.Fcntl(_fds.OtherSocketFd, 0 /* F_DUPFD */, 3);
        try
        {
            var seen = await ListFdsOfChildAsync(Ct);
            Assert.Contains(FdLinks.Target(_fds.OtherSocketFd), seen, StringComparison.Ordinal);
        }
        finally
        {
            Interop.Close(inheritable);
        }
    }

    [Fact]
    public async Task EveryFdTheLibraryOpens_IsClosedAfterFailuresCancellationAndDispose()
    {
        using var crashing = new FakeCriuBinary("kill -SEGV $$");
        using var garbage = new FakeCriuBinary("printf '\\377\\377\\377\\377\\017' >&3\nexec sleep 3600");
        using var hanging = new FakeCriuBinary("exec sleep 3600");
        var opts = _fds.Opts();
        opts.Ps = new CriuPageServerInfo { Fd = _fds.SocketFd };
        // The first round also lets the runtime open what it opens lazily (assemblies, symbols).
        await FailEveryWayAsync(crashing.Path, garbage.Path, hanging.Path, opts);
        var before = OwnFds.List();

        await FailEveryWayAsync(crashing.Path, garbage.Path, hanging.Path, opts);

        Assert.Empty(await OpenedSinceAsync(before));
    }

    /// <summary>The fds open now that were not in <paramref name="before"/>, once none are left or the deadline passed.</summary>
    private static async Task<List<KeyValuePair<int, string>>> OpenedSinceAsync(Dictionary<int, string> before)
    {
        var deadline = DateTime.UtcNow + FakeSwrkPeer.Deadline;
        while (true)
        {
            var opened = OwnFds.List().Except(before).ToList();
            if (opened.Count == 0 || DateTime.UtcNow > deadline)
                return opened;
            await Task.Delay(10, Ct);
        }
    }

    private static async Task FailEveryWayAsync(string crashing, string garbage, string hanging, CriuOpts opts)
    {
        using (var criu = new Criu(crashing))
            await Assert.ThrowsAsync<CriuException>(() => criu.DumpAsync(opts, null, Ct).WithDeadline());
        using (var criu = new Criu(garbage))
            await Assert.ThrowsAsync<CriuProtocolException>(() => criu.DumpAsync(opts, null, Ct).WithDeadline());
        using (var criu = new Criu(hanging))
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => criu.StartPageServerAsync(opts, cancel.Token).WithDeadline());
        }
        var prepared = new Criu(hanging);
        prepared.Prepare();
        var running = prepared.DumpAsync(opts, null, Ct);
        prepared.Dispose();
        await Assert.ThrowsAsync<CriuException>(() => running.WithDeadline());
    }

    private static async Task<List<string>> ListFdsOfConcurrentChildren(CancellationToken stop)
    {
        var outputs = new List<string>();
        while (!stop.IsCancellationRequested)
            outputs.Add(await ListFdsOfChildAsync(CancellationToken.None));
        return outputs;
    }

    private static async Task<string> ListFdsOfChildAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", "ls -l /proc/$$/fd"]) { RedirectStandardOutput = true };
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
        await child.WaitForExitAsync(cancellationToken);
        return output;
    }

    public void Dispose() => _fds.Dispose();
}
