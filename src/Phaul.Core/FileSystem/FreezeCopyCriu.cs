using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The <see cref="ICriu"/> a <see cref="PhaulClient"/> hands its <see cref="IPhaulLocal"/> when files migrate
/// too: a dump's post-dump notification (the tree frozen, its images written) first runs the file-system
/// copy of the freeze, then the local's own notification. A failed copy fails the notification, so CRIU
/// fails the dump and resumes the tree on the source. Everything else goes to the wrapped CRIU unchanged; the
/// client owns (and disposes) that one.
/// </summary>
internal sealed class FreezeCopyCriu(ICriu inner, Func<Task> copyFrozen) : DelegatingCriu(inner, ownsInner: false)
{
    private bool _copied;

    /// <summary>Why the freeze copy failed, if it did: the cause worth reporting for the failed dump.</summary>
    public Exception? Failure { get; private set; }

    public override Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(opts);
        // CRIU sends post-dump only to a caller that asked for notifications.
        opts.NotifyScripts = true;
        return Inner.DumpAsync(opts, new Notify(this, notify ?? new CriuNotifyBase()), cancellationToken);
    }

    private sealed class Notify(FreezeCopyCriu owner, ICriuNotify inner) : ICriuNotify
    {
        public async Task PostDumpAsync()
        {
            try
            {
                await owner.CopyFrozenOnceAsync().ConfigureAwait(false);
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

    // One freeze, one copy: a local that dumps twice (it should not) does not copy twice.
    private async Task CopyFrozenOnceAsync()
    {
        if (_copied)
            return;
        _copied = true;
        await copyFrozen().ConfigureAwait(false);
    }
}
