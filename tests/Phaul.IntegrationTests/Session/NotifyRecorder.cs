namespace Phaul.IntegrationTests.Session;

/// <summary>Records every ICriuNotify call in order; one chosen call can be made to throw.</summary>
internal sealed class NotifyRecorder(string? throwOn = null) : ICriuNotify
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls)
                return [.. _calls];
        }
    }

    /// <summary>What the chosen call throws.</summary>
    public InvalidOperationException Failure { get; } = new("the notify handler refused");

    public Task PreDumpAsync() => Record("PreDump");

    public Task PostDumpAsync() => Record("PostDump");

    public Task PreRestoreAsync() => Record("PreRestore");

    public Task PostRestoreAsync(int pid) => Record($"PostRestore({pid})");

    public Task NetworkLockAsync() => Record("NetworkLock");

    public Task NetworkUnlockAsync() => Record("NetworkUnlock");

    public Task SetupNamespacesAsync(int pid) => Record($"SetupNamespaces({pid})");

    public Task PostSetupNamespacesAsync() => Record("PostSetupNamespaces");

    public Task PostResumeAsync() => Record("PostResume");

    private Task Record(string call)
    {
        lock (_calls)
            _calls.Add(call);
        return call.StartsWith(throwOn ?? "\0", StringComparison.Ordinal) ? Task.FromException(Failure) : Task.CompletedTask;
    }
}
