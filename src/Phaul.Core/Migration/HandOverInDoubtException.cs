namespace Phaul;

/// <summary>
/// The source had stopped its copy of the tree and told the destination to resume the restored one, and then got no
/// answer (the connection broke, or the destination went silent or died). It cannot know whether the tree runs on the
/// destination, so it runs it nowhere: the source's copy stays stopped (state T) with its memory intact, never resumed
/// behind the caller's back. The destination resumed its copy if and only if the commit reached it; if not, it killed
/// that copy when the hand-over deadline passed. Ask the destination's service (its log names the session, and says
/// "resumed" or "killed"), then either kill the source's copy (<c>kill -KILL</c>) or continue it (<c>kill -CONT</c> on
/// every process of the tree).
/// </summary>
public sealed class HandOverInDoubtException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="sourcePid">The root of the source's stopped copy.</param>
    /// <param name="destination">Where the tree was handed over to.</param>
    /// <param name="reason">What happened after the commit was sent.</param>
    /// <param name="innerException">The failure behind <paramref name="reason"/>.</param>
    public HandOverInDoubtException(int sourcePid, string destination, string reason, Exception? innerException)
        : base($"The hand-over is in doubt: the source stopped its copy (pid {sourcePid}) and told {destination} to resume the " +
               $"restored tree, then {reason.TrimEnd('.')}. The source cannot know whether the tree runs there, so its copy stays " +
               "stopped, never running twice; the destination resumed the tree only if the commit reached it. Look up the session " +
               $"in the destination's log, then kill pid {sourcePid}'s tree, or continue it (SIGCONT) if the destination did not resume.",
               innerException)
    {
        SourcePid = sourcePid;
        Destination = destination;
        Reason = reason;
    }

    /// <summary>The root of the source's stopped copy.</summary>
    public int SourcePid { get; }

    /// <summary>Where the tree was handed over to.</summary>
    public string Destination { get; }

    /// <summary>What happened after the commit was sent.</summary>
    public string Reason { get; }
}
