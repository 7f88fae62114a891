namespace Phaul;

/// <summary>
/// The source's end of the memory socket (<see cref="PhaulConfig.Memfd"/>). A seam so that unit tests,
/// whose Memfd numbers are made up, never act on a real fd of the test process.
/// </summary>
internal interface IMemorySocket
{
    /// <summary>Tells the peer that no more pages come (shutdown for writing): a page server waiting for them sees the end.</summary>
    /// <exception cref="NativeCallException">The fd is not a connected socket.</exception>
    void EndSending(int fd);
}

/// <summary>Acts on the real socket.</summary>
internal sealed class MemorySocket : IMemorySocket
{
    public static MemorySocket Instance { get; } = new();

    public void EndSending(int fd)
    {
        if (Interop.Shutdown(fd, Interop.SHUT_WR) != 0)
            throw NativeCallException.FromLastError("shutdown(SHUT_WR)", $"memory socket fd {fd}");
    }
}
