namespace Phaul;

/// <summary>An <see cref="ICriuNotify"/> whose every method completes at once; override what you need.</summary>
public class CriuNotifyBase : ICriuNotify
{
    /// <inheritdoc/>
    public virtual Task PreDumpAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task PostDumpAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task PreRestoreAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task PostRestoreAsync(int pid) => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task NetworkLockAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task NetworkUnlockAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task SetupNamespacesAsync(int pid) => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task PostSetupNamespacesAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public virtual Task PostResumeAsync() => Task.CompletedTask;
}
