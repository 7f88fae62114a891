namespace Phaul;

/// <summary>
/// A migration failed. Says at which step and iteration, carries the cause as
/// <see cref="Exception.InnerException"/>, and whether the tree had already left the source.
/// </summary>
public sealed class MigrationException : Exception
{
    /// <summary>Creates an exception for a failed migration step.</summary>
    /// <param name="step">The step that failed.</param>
    /// <param name="iteration">The iteration the step belonged to, if any.</param>
    /// <param name="finalStageCompleted">Whether the final stage had returned before the failure.</param>
    /// <param name="innerException">The cause.</param>
    /// <param name="cleanupFailure">A failure while ending the iteration after the cause, if any.</param>
    public MigrationException(MigrationStep step, int? iteration, bool finalStageCompleted, Exception innerException,
                              Exception? cleanupFailure = null)
        : base(Compose(step, iteration, finalStageCompleted, innerException, cleanupFailure), innerException)
    {
        Step = step;
        Iteration = iteration;
        FinalStageCompleted = finalStageCompleted;
        CleanupFailure = cleanupFailure;
        ProcessLost = Find<ProcessLostException>(innerException) is not null;
        HandOverInDoubt = Find<HandOverInDoubtException>(innerException) is not null;
    }

    /// <summary>The step that failed.</summary>
    public MigrationStep Step { get; }

    /// <summary>The iteration the step belonged to (pre-dumps count from 0; the final stage follows them), if any.</summary>
    public int? Iteration { get; }

    /// <summary>
    /// <see langword="true"/> when <see cref="IPhaulLocal.DumpCopyRestoreAsync"/> had returned, so the tree is
    /// no longer on the source (only ending the final iteration failed); <see langword="false"/> means the
    /// tree was left running on the source.
    /// </summary>
    public bool FinalStageCompleted { get; }

    /// <summary>
    /// <see langword="true"/> when a post-copy migration lost the process (the cause is, or wraps, a
    /// <see cref="ProcessLostException"/>): it had resumed on the destination, its remaining pages could not
    /// follow, and it runs on neither side.
    /// </summary>
    public bool ProcessLost { get; }

    /// <summary>
    /// <see langword="true"/> when the hand-over is in doubt (the cause is, or wraps, a <see cref="HandOverInDoubtException"/>):
    /// the source's copy is stopped, and the destination's runs if and only if the commit reached it.
    /// </summary>
    public bool HandOverInDoubt { get; }

    /// <summary>
    /// A second failure while ending the started iteration after the first one (e.g. the destination's
    /// page server failing too), or <see langword="null"/>.
    /// </summary>
    public Exception? CleanupFailure { get; }

    private static string Compose(MigrationStep step, int? iteration, bool finalStageCompleted, Exception cause,
                                  Exception? cleanupFailure)
    {
        ArgumentNullException.ThrowIfNull(cause);
        var where = iteration is { } n ? $"{step} (iteration {n})" : step.ToString();
        var outcome = Find<ProcessLostException>(cause) is not null ? "The process was lost: it runs on neither side."
            : Find<HandOverInDoubtException>(cause) is { } doubt
                ? $"The hand-over is in doubt: the tree is stopped on the source (pid {doubt.SourcePid}) and runs on the destination only if the commit reached it."
            : finalStageCompleted ? "The final stage had completed: the tree is no longer on the source."
            : "The tree was left running on the source.";
        // The outcome first: the causes' messages may run over many lines (CRIU's log tail).
        var text = $"Migration failed at {where}. {outcome}{Environment.NewLine}Cause: {cause.Message}";
        if (cleanupFailure is not null)
            text += $"{Environment.NewLine}Ending the iteration failed too: {cleanupFailure.Message}";
        return text;
    }

    private static T? Find<T>(Exception? cause) where T : Exception
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (e is T found)
                return found;
        }
        return null;
    }
}
