using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The <see cref="ICriu"/> a <see cref="PhaulClient"/> hands its <see cref="IPhaulLocal"/> when it has hooks: a dump's
/// post-dump notification (the tree frozen, its images written) first runs the hooks' freeze phase, then the local's
/// own notification. A failed hook fails the notification, so CRIU fails the dump and resumes the tree on the source.
/// Everything else goes to the wrapped CRIU unchanged; the client owns (and disposes) that one.
/// </summary>
internal sealed class PostDumpHookCriu(ICriu inner, Func<Task> whileFrozen) : DelegatingCriu(inner, ownsInner: false)
{
    private bool _ran;

    /// <summary>Why the freeze phase failed, if it did: the cause worth reporting for the failed dump.</summary>
    public Exception? Failure { get; private set; }

    public override Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(opts);
        // CRIU sends post-dump only to a caller that asked for notifications.
        opts.NotifyScripts = true;
        return Inner.DumpAsync(opts, new Notify(this, notify ?? new CriuNotifyBase()), cancellationToken);
    }

    private sealed class Notify(PostDumpHookCriu owner, ICriuNotify inner) : ICriuNotify
    {
        public async Task PostDumpAsync()
        {
            try
            {
                await owner.RunOnceAsync().ConfigureAwait(false);
            }
            catch (Exception failure)
            {
                owner.Failure ??= failure;
                throw;
            }
            await inner.PostDumpAsync().ConfigureAwait(false);
        }

        public Task PreDumpAsync() => inner.PreDumpAsync();

        public Task PreRestoreAsync() => inner.PreRestoreAsync();

        public Task PostRestoreAsync(int pid) => inner.PostRestoreAsync(pid);

        public Task NetworkLockAsync() => inner.NetworkLockAsync();

        public Task NetworkUnlockAsync() => inner.NetworkUnlockAsync();

        public Task SetupNamespacesAsync(int pid) => inner.SetupNamespacesAsync(pid);

        public Task PostSetupNamespacesAsync() => inner.PostSetupNamespacesAsync();

        public Task PostResumeAsync() => inner.PostResumeAsync();
    }

    // One freeze, one run: a local that dumps twice (it should not) does not run the hooks twice.
    private async Task RunOnceAsync()
    {
        if (_ran)
            return;
        _ran = true;
        await whileFrozen().ConfigureAwait(false);
    }
}
