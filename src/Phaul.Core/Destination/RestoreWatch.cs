namespace Phaul;

/// <summary>
/// Follows a restore through CRIU's notifications, holds the restored root (setup-namespaces names it) by pidfd,
/// and, given a gate, keeps the restored tree from running until the gate opens. CRIU sends post-restore with every
/// process restored and still stopped; it resumes them only once that notification succeeded, and kills them when it
/// fails or when the process answering it dies. So a tree restored through a gate runs only if the gate returned
/// normally: a throwing gate, a cancelled restore, or a crash of the caller leaves no copy running.
/// </summary>
/// <param name="gate">Awaited in post-restore with the restored root's pid; null to let the tree run at once.</param>
internal sealed class RestoreWatch(Func<int, Task>? gate = null) : CriuNotifyBase, IDisposable
{
    private PidFd? _root;

    public override Task SetupNamespacesAsync(int pid)
    {
        try
        {
            _root ??= PidFd.TryOpen(pid);
        }
        catch (NativeCallException)
        {
            // Not being able to watch the root must not fail the restore.
        }
        return Task.CompletedTask;
    }

    public override Task PostRestoreAsync(int pid) => gate?.Invoke(pid) ?? Task.CompletedTask;

    /// <summary>
    /// Kills the restored root if it still runs; returns its pid then. The root of a tree in its own PID
    /// namespace is that namespace's init, so the whole tree goes with it.
    /// </summary>
    public int? KillRestoredRoot() => _root?.TryKill() == true ? _root.Pid : null;

    public void Dispose() => _root?.Dispose();
}
