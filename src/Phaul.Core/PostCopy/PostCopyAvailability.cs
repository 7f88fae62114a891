namespace Phaul;

/// <summary>Whether one end of a migration can take part in post-copy (lazy pages), and if not, why and how to fix it.</summary>
public sealed record PostCopyAvailability
{
    private PostCopyAvailability(bool isAvailable, string? reason)
    {
        IsAvailable = isAvailable;
        Reason = reason;
    }

    /// <summary>Post-copy can run.</summary>
    public static PostCopyAvailability Available { get; } = new(true, null);

    /// <summary>Whether post-copy can run.</summary>
    public bool IsAvailable { get; }

    /// <summary>When it cannot: what is missing and how to fix it; otherwise <see langword="null"/>.</summary>
    public string? Reason { get; }

    /// <summary>Post-copy cannot run.</summary>
    /// <param name="reason">What is missing and how to fix it.</param>
    public static PostCopyAvailability Unavailable(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new PostCopyAvailability(false, reason);
    }
}
