namespace Phaul.Containers;

/// <summary>
/// The script CRIU's lazy-pages daemon runs under on the destination. Should the daemon fail (the source gone, the memory
/// connection cut, this host's phaul killed), the container it serves must not run on reading zeros where its pages are
/// missing: the script then deletes it with runc. It runs apart from phaul (a process group of its own), so that phaul's
/// own death does not stop it. CRIU runs with a parent-death signal (util-linux's setpriv): phaul killing the script, as
/// it does when it gives up on the daemon, takes CRIU along instead of leaving it waiting for a restore.
/// </summary>
internal static class LazyPagesGuard
{
    public const string ScriptName = "phaul-lazy-pages.sh";

    /// <param name="criuPath">CRIU's binary, which gets the script's arguments.</param>
    /// <param name="deleteCommand">runc's command line that deletes the container, killing it.</param>
    public static string Script(string criuPath, IReadOnlyList<string> deleteCommand) => $"""
        #!/bin/sh
        # Written by Phaul: CRIU's lazy-pages daemon for a migrated container; if it fails, the container goes.
        setpriv --pdeathsig KILL -- {Quote(criuPath)} "$@"
        status=$?
        [ $status -eq 0 ] || {string.Join(' ', deleteCommand.Select(Quote))} >/dev/null 2>&1
        exit $status

        """;

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
