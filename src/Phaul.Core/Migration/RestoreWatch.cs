namespace Phaul;

/// <summary>
/// Follows a restore through CRIU's notifications and holds the restored root (setup-namespaces names
/// it) by pidfd. CRIU kills a tree it failed to restore itself, but when CRIU is killed (the restore
/// was cancelled) the partly restored tree would run on, beside the source that CRIU resumes.
/// </summary>
internal sealed class RestoreWatch : CriuNotifyBase, IDisposable
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

    /// <summary>
    /// Kills the restored root if it still runs; returns its pid then. The root of a tree in its own PID
    /// namespace is that namespace's init, so the whole tree goes with it.
    /// </summary>
    public int? KillRestoredRoot() => _root?.TryKill() == true ? _root.Pid : null;

    public void Dispose() => _root?.Dispose();
}
