namespace Phaul.Transport;

/// <summary>
/// Where a <see cref="DestinationSession"/> stands: its stage and what the stage holds. Immutable, so that the session
/// replaces its one state as a whole, only through the transitions below, and a reader on another thread (the page
/// server's watch) sees one consistent state.
/// </summary>
internal sealed record SessionState
{
    public static SessionState Initial { get; } = new();

    private SessionState()
    {
    }

    public SessionStage Stage { get; private init; } = SessionStage.Copying;

    /// <summary>
    /// The iteration whose page server (or, when lazy, lazy-pages daemon) runs, if any. A lazy iteration stays open
    /// after the lazy restore, until the source stops it; a plain restore ends its iteration.
    /// </summary>
    public int? OpenIteration { get; private init; }

    /// <summary>Whether the last iteration started was lazy; it stays so once stopped.</summary>
    public bool Lazy { get; private init; }

    /// <summary>The restored tree's root pid while it runs here (<see cref="SessionStage.Restored"/>, <see cref="SessionStage.PagesArrived"/>).</summary>
    public int? RestoredPid { get; private init; }

    /// <summary>The killed tree's root pid and why its pages could not all arrive (<see cref="SessionStage.Lost"/>).</summary>
    public (int Pid, string Reason)? Loss { get; private init; }

    /// <summary>
    /// The iteration a plain restore request ended, with its StopIter error ("" when it stopped cleanly), answered when
    /// the source's StopIter for it arrives after the restore.
    /// </summary>
    public (int Iteration, string Error)? RestoreStop { get; private init; }

    /// <summary>Why the restore failed, when it did (the tree then runs on the source): the session's outcome once the source leaves.</summary>
    public string? RestoreFailure { get; private init; }

    public bool BeforeRestore => Stage == SessionStage.Copying;

    /// <summary>The open iteration when it is lazy.</summary>
    public int? OpenLazyIteration => Lazy ? OpenIteration : null;

    /// <summary>The lazily restored tree while its pages have not all arrived: the source could still leave it without them.</summary>
    public int? TreeAwaitingPages => Stage == SessionStage.Restored && Lazy ? RestoredPid : null;

    public SessionState IterationStarted(int iteration, bool lazy) => this with { OpenIteration = iteration, Lazy = lazy };

    public SessionState IterationStopped() => this with { OpenIteration = null };

    public SessionState StoppedByRestore(int iteration, string error) => this with { RestoreStop = (iteration, error) };

    /// <summary>A StopIter without an open iteration was answered: the restore's stop is not answered twice.</summary>
    public SessionState RestoreStopAnswered() => this with { RestoreStop = null };

    public SessionState RestoreFailed(string error) => this with { RestoreFailure = error };

    public SessionState Restored(int pid) => this with { Stage = SessionStage.Restored, RestoredPid = pid };

    public SessionState PagesArrived() => this with { Stage = SessionStage.PagesArrived };

    public SessionState Lost(int pid, string reason) => this with { Stage = SessionStage.Lost, RestoredPid = null, Loss = (pid, reason) };
}
