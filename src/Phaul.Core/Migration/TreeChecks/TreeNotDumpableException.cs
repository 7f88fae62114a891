namespace Phaul;

/// <summary>
/// The tree cannot be dumped by CRIU (the pid is a kernel thread, the host's init, phaul or its ancestor, or breaks CRIU's
/// PID-namespace rules); found before anything froze. Callers see it inside a <see cref="MigrationException"/> whose
/// step is <see cref="MigrationStep.CheckTree"/>; the message names the fix.
/// </summary>
internal sealed class TreeNotDumpableException(string message) : Exception(message);
