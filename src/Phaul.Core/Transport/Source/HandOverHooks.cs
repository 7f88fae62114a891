namespace Phaul.Transport;

/// <summary>The points of the hand-over where tests break a migration on purpose.</summary>
internal enum HandOverStep
{
    /// <summary>Source: the images are sent and the restore requested; the destination has not answered.</summary>
    RestoreRequested,

    /// <summary>Source: the destination said its copy is restored and held; nothing is stopped yet.</summary>
    Prepared,

    /// <summary>Source: its copy is stopped; the commit has not left.</summary>
    SourceStopped,

    /// <summary>Source: the commit has left; the destination's answer has not come.</summary>
    CommitSent,

    /// <summary>Destination: the restored copy is held and RestorePrepared is sent; the commit has not come.</summary>
    Holding,

    /// <summary>Destination: the commit came; CRIU has not been told to resume the copy.</summary>
    CommitReceived,

    /// <summary>Destination: CRIU resumed the committed copy; the answer to the commit has not been sent.</summary>
    Resumed,

    /// <summary>Destination: a source asks how a hand-over ended; nothing is answered yet.</summary>
    QueryReceived,
}

/// <summary>Lets tests act at a <see cref="HandOverStep"/> (cut the connection, kill a CRIU, cancel) deterministically.</summary>
internal sealed class HandOverHooks
{
    public static HandOverHooks None { get; } = new();

    /// <summary>Called at each step, and awaited before the step's next action.</summary>
    public Func<HandOverStep, Task>? OnStep { get; init; }

    public Task ReachedAsync(HandOverStep step) => OnStep?.Invoke(step) ?? Task.CompletedTask;
}
