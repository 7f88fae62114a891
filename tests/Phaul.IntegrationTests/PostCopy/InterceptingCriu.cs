using Phaul.Rpc;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>
/// A real <see cref="Criu"/> whose restores a test can fail from a notification or follow with an action. A decorator
/// that forwards <see cref="ILocalCriu"/>, so the server starts the lazy-pages daemon from the same binary.
/// </summary>
internal sealed class InterceptingCriu(Criu inner) : DelegatingCriu(inner, ownsInner: true), ILocalCriu
{
    public void Prepare() => inner.Prepare();

    public void Cleanup() => inner.Cleanup();

    public string ResolveBinary() => inner.ResolveBinary();

    /// <summary>Fails the restore from CRIU's post-restore notification: the tree exists, has its uffds registered, and has not resumed.</summary>
    public bool FailAtPostRestore { get; set; }

    /// <summary>Runs in CRIU's post-restore notification: the tree exists and has not resumed.</summary>
    public Action<int>? AtPostRestore { get; set; }

    /// <summary>Runs in CRIU's post-resume notification: the tree runs and its pages have started to follow.</summary>
    public Action<int>? AtPostResume { get; set; }

    public Exception PostRestoreFailure { get; } = new InvalidOperationException("post-restore refused by the test");

    public override Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        Inner.RestoreAsync(opts, new Intercepting(this, notify), cancellationToken);

    private sealed class Intercepting(InterceptingCriu owner, ICriuNotify? inner) : CriuNotifyBase
    {
        private int _pid;

        public override Task SetupNamespacesAsync(int pid) => inner?.SetupNamespacesAsync(pid) ?? Task.CompletedTask;

        public override async Task PostRestoreAsync(int pid)
        {
            _pid = pid;
            if (inner is not null)
                await inner.PostRestoreAsync(pid);
            owner.AtPostRestore?.Invoke(pid);
            if (owner.FailAtPostRestore)
                throw owner.PostRestoreFailure;
        }

        public override async Task PostResumeAsync()
        {
            if (inner is not null)
                await inner.PostResumeAsync();
            owner.AtPostResume?.Invoke(_pid);
        }
    }
}
