using Phaul.Rpc;

namespace Phaul.IntegrationTests.PostCopy;

/// <summary>A real <see cref="Criu"/> whose restores a test can fail from a notification or follow with an action.</summary>
internal sealed class InterceptingCriu(Criu inner) : ICriu
{
    /// <summary>Fails the restore from CRIU's post-restore notification: the tree exists, has its uffds registered, and has not resumed.</summary>
    public bool FailAtPostRestore { get; set; }

    /// <summary>Runs in CRIU's post-restore notification: the tree exists and has not resumed.</summary>
    public Action<int>? AtPostRestore { get; set; }

    /// <summary>Runs in CRIU's post-resume notification: the tree runs and its pages have started to follow.</summary>
    public Action<int>? AtPostResume { get; set; }

    public Exception PostRestoreFailure { get; } = new InvalidOperationException("post-restore refused by the test");

    public Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        inner.RestoreAsync(opts, new Intercepting(this, notify), cancellationToken);

    public Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        inner.DumpAsync(opts, notify, cancellationToken);

    public Task PreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        inner.PreDumpAsync(opts, notify, cancellationToken);

    public Task StartPageServerAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        inner.StartPageServerAsync(opts, cancellationToken);

    public Task<CriuPageServerInfo> StartPageServerChldAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        inner.StartPageServerChldAsync(opts, cancellationToken);

    public Task<int> GetCriuVersionAsync(CancellationToken cancellationToken = default) => inner.GetCriuVersionAsync(cancellationToken);

    public Task<bool> IsCriuAtLeastAsync(int version, CancellationToken cancellationToken = default) =>
        inner.IsCriuAtLeastAsync(version, cancellationToken);

    public Task<CriuFeatures> FeatureCheckAsync(CriuFeatures features, CancellationToken cancellationToken = default) =>
        inner.FeatureCheckAsync(features, cancellationToken);

    public void Dispose() => inner.Dispose();

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
