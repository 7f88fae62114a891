using Phaul.Rpc;

namespace Phaul.Core.Tests.Migration;

/// <summary>A fresh directory under /tmp, removed afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "phaul-tests-" + Guid.NewGuid().ToString("N"));

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Hands out a made-up fd for every directory; records which ones were opened.</summary>
internal sealed class FakeDirectories : IImagesDirectoryOpener
{
    public const int Fd = 77;

    public List<string> Opened { get; } = [];

    public IOpenImagesDirectory Open(string path)
    {
        Assert.True(Directory.Exists(path), $"opened a missing directory {path}");
        Opened.Add(path);
        return new Handle();
    }

    private sealed class Handle : IOpenImagesDirectory
    {
        public int Fd => FakeDirectories.Fd;

        public void Dispose()
        {
        }
    }
}

/// <summary>Records which (made-up) memory socket fds were shut down for writing; touches no real fd.</summary>
internal sealed class FakeMemorySocket(Action<int>? onEnd = null) : IMemorySocket
{
    public List<int> Ended { get; } = [];

    public bool Fail { get; set; }

    public void EndSending(int fd)
    {
        Ended.Add(fd);
        onEnd?.Invoke(fd);
        if (Fail)
            throw new NativeCallException("shutdown(SHUT_WR)", errno: 88, $"memory socket fd {fd}");
    }
}

internal static class Stats
{
    public static DumpStatsEntry Dump(ulong written, ulong skippedParent = 0, uint memwriteMicroseconds = 1000) => new()
    {
        PagesScanned = written + skippedParent,
        PagesWritten = written,
        PagesSkippedParent = skippedParent,
        FreezingTime = 10,
        FrozenTime = 200,
        MemdumpTime = 150,
        MemwriteTime = memwriteMicroseconds,
    };

    public static DumpStatistics Of(ulong written, ulong skippedParent = 0, uint memwriteMicroseconds = 1000) =>
        DumpStatistics.FromCriu(Dump(written, skippedParent, memwriteMicroseconds));
}
