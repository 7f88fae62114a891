namespace Phaul.Transport;

/// <summary>
/// Bounds how many refusals of unauthenticated peers are logged per window, so that a flood of connections cannot
/// flood the log; what was left out is counted and reported once the window has passed.
/// </summary>
internal sealed class RefusalLogLimit(int perWindow, TimeSpan window, TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _windowStart = time.GetTimestamp();
    private int _logged;
    private int _suppressed;

    /// <summary>The window's length.</summary>
    public TimeSpan Window => window;

    /// <summary>Whether to log this refusal.</summary>
    /// <param name="suppressedBefore">Refusals left out in the window that just ended, to report now; 0 if none.</param>
    public bool TryLog(out int suppressedBefore)
    {
        lock (_lock)
        {
            suppressedBefore = 0;
            if (time.GetElapsedTime(_windowStart) >= window)
            {
                suppressedBefore = _suppressed;
                _windowStart = time.GetTimestamp();
                _logged = 0;
                _suppressed = 0;
            }
            if (_logged < perWindow)
            {
                _logged++;
                return true;
            }
            _suppressed++;
            return false;
        }
    }
}
