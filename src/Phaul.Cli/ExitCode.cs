namespace Phaul.Cli;

/// <summary>
/// What <c>phaul</c> exits with: one meaning per code, so that a script knows where the tree runs without reading
/// the output. Only <see cref="Failed"/> and <see cref="Interrupted"/> make a retry of <c>migrate</c> safe.
/// </summary>
internal enum ExitCode
{
    /// <summary>The command did what was asked; for <c>migrate</c>, the tree runs on the destination.</summary>
    Success = 0,

    /// <summary>The command failed; for <c>migrate</c>, the tree was not migrated and runs on the source.</summary>
    Failed = 1,

    /// <summary>
    /// The command line or an input file was wrong, or <c>migrate</c>'s --pid is no tree CRIU can dump (e.g. a kernel thread,
    /// pid 1, phaul's own ancestor); nothing was done, nothing was frozen.
    /// </summary>
    BadInput = 2,

    /// <summary><c>migrate</c> (post-copy) lost the process: it had resumed on the destination, its pages could not follow, and it runs nowhere.</summary>
    ProcessLost = 3,

    /// <summary><c>migrate</c>: the hand-over is in doubt; the tree is stopped on the source and runs on the destination only if the commit reached it.</summary>
    HandOverInDoubt = 4,

    /// <summary><c>migrate</c>: the tree runs on the destination, but something after the hand-over failed (the report could not be made or written).</summary>
    MigratedWithWarning = 5,

    /// <summary>Interrupted (SIGINT/SIGTERM) before the hand-over; for <c>migrate</c>, the tree runs on the source.</summary>
    Interrupted = 130,
}

/// <summary>The exit codes as <c>--help</c> lists them.</summary>
internal static class ExitCodeHelp
{
    public const string Migrate =
        "Exit codes: 0 migrated; 1 not migrated, the tree runs here; 2 bad input; 3 process lost (post-copy); " +
        "4 hand-over in doubt, the tree is stopped here; 5 migrated, with a warning; 130 interrupted, the tree runs here.";
}
