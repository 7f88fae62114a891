namespace Phaul;

/// <summary>
/// A post-copy migration lost the process. The tree had resumed on the destination while pages it had
/// not touched yet were still only on the source; then those pages could not be moved (the connection
/// broke, a CRIU process on either side failed, or the transfer ran out of time). A restored tree without
/// its pages would read zeros, so it was killed; the source's copy is stale (the destination ran on from
/// it), so it was killed too. Every post-copy system has this window; pre-copy and stop-and-copy do not.
/// </summary>
public sealed class ProcessLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="restoredPid">The restored tree's root on the destination, which was killed.</param>
    /// <param name="reason">Why the pages could not be moved.</param>
    /// <param name="innerException">The failure that cut the transfer.</param>
    public ProcessLostException(int restoredPid, string reason, Exception? innerException = null)
        : base($"The process was lost: it had resumed on the destination as pid {restoredPid}, then {reason}. " +
               "Post-copy cannot bring back the pages that had not arrived: the restored tree was killed, and " +
               "the source's stale copy is not resumed.", innerException)
    {
        RestoredPid = restoredPid;
        Reason = reason;
    }

    /// <summary>
    /// Creates the exception for a source that cannot know whether the destination resumed the tree: it asked
    /// for the restore, and the connection broke before the answer came. Running the tree on the source again
    /// could run it twice, so the source's stopped copy is killed; a destination that had restored it kills it
    /// too unless every page had arrived.
    /// </summary>
    /// <param name="reason">What broke after the restore request was sent.</param>
    /// <param name="innerException">The failure that broke it.</param>
    public ProcessLostException(string reason, Exception? innerException)
        : base($"The process was lost: the source had asked the destination to restore it, then {reason}, so the source " +
               "cannot know whether it resumed there. The source's stopped copy was killed rather than risk running the " +
               "process twice; the destination kills a restored tree whose pages cannot all arrive.", innerException)
    {
        Reason = reason;
    }

    /// <summary>The restored tree's root on the destination (killed); <see langword="null"/> when the source never learnt it.</summary>
    public int? RestoredPid { get; }

    /// <summary>Why the pages could not be moved.</summary>
    public string Reason { get; }
}
