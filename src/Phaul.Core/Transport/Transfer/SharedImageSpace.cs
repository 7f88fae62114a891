namespace Phaul.Transport;

/// <summary>
/// The bytes of image files that all sessions of one destination hold at once: each session's own limits alone
/// would let concurrent sessions fill the disk together. Receivers reserve a file's size before writing it and
/// give back what they hold when their session ends.
/// </summary>
internal sealed class SharedImageSpace
{
    private readonly Lock _lock = new();
    private long _bytes;

    /// <summary>Reserves <paramref name="bytes"/> unless that would bring the total over <paramref name="limit"/>.</summary>
    /// <param name="bytes">The size of the file about to be written.</param>
    /// <param name="limit">The most all sessions may hold together.</param>
    /// <param name="held">What all sessions held before, for the refusal's message.</param>
    /// <returns>Whether the bytes were reserved.</returns>
    public bool TryReserve(long bytes, long limit, out long held)
    {
        lock (_lock)
        {
            held = _bytes;
            if (bytes > limit - _bytes)
                return false;
            _bytes += bytes;
            return true;
        }
    }

    /// <summary>Gives back bytes reserved before.</summary>
    public void Release(long bytes)
    {
        lock (_lock)
            _bytes -= bytes;
    }
}
