namespace Phaul;

/// <summary>
/// CRIU's notifications ("action scripts"), sent while an operation runs. Each call blocks CRIU
/// until it completes; throwing fails the operation.
/// </summary>
public interface ICriuNotify
{
    /// <summary>The tree is about to be frozen and dumped.</summary>
    Task PreDumpAsync();

    /// <summary>The dump is written; the tree is still frozen.</summary>
    Task PostDumpAsync();

    /// <summary>A restore is about to start.</summary>
    Task PreRestoreAsync();

    /// <summary>The tree is restored but not yet resumed.</summary>
    /// <param name="pid">The restored root's pid.</param>
    Task PostRestoreAsync(int pid);

    /// <summary>CRIU is about to lock the tree's network.</summary>
    Task NetworkLockAsync();

    /// <summary>CRIU has unlocked the tree's network.</summary>
    Task NetworkUnlockAsync();

    /// <summary>The restored root's namespaces exist and can be configured.</summary>
    /// <param name="pid">The restored root's pid.</param>
    Task SetupNamespacesAsync(int pid);

    /// <summary>The namespaces are set up.</summary>
    Task PostSetupNamespacesAsync();

    /// <summary>The restored tree is running.</summary>
    Task PostResumeAsync();
}
