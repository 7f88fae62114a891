namespace Phaul.DemoWorkload;

/// <summary>Waits for a condition by polling with a deadline, never by a fixed sleep.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls <paramref name="probe"/> until it returns a value.</summary>
    /// <exception cref="TimeoutException">The value did not come within <paramref name="timeout"/>; the message names <paramref name="what"/>.</exception>
    public static async Task<T> UntilAsync<T>(Func<T?> probe, TimeSpan timeout, string what,
                                              CancellationToken cancellationToken = default) where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (probe() is { } value)
                return value;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value.</summary>
    /// <exception cref="TimeoutException">The value did not come within <paramref name="timeout"/>; the message names <paramref name="what"/>.</exception>
    public static async Task<T> UntilAsync<T>(Func<T?> probe, TimeSpan timeout, string what,
                                              CancellationToken cancellationToken = default) where T : struct
    {
        var result = await UntilAsync(() => probe() is { } value ? new Box<T>(value) : null, timeout, what, cancellationToken);
        return result.Value;
    }

    private sealed record Box<T>(T Value);
}
