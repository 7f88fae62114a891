namespace Phaul.IntegrationTests.Migration;

/// <summary>
/// Trees CRIU cannot dump are refused before anything freezes (real /proc, real CRIU configured): the migration fails at
/// <see cref="MigrationStep.CheckTree"/> with the fix, CRIU never ran (the source's working directory stays empty), and
/// the process keeps running, never frozen.
/// </summary>
public sealed class TreeCheckTests
{
    private static readonly TimeSpan Progress = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory(Timeout = 60_000)]
    [InlineData(1, "is the init of phaul's PID namespace", "unshare --pid --fork setsid")]
    [InlineData(2, "is a kernel thread", "Fix: give the pid of the user process")]
    public async Task The_hosts_init_and_a_kernel_thread_are_refused_before_CRIU_runs(int pid, string says, string fix)
    {
        // Failure handled: CRIU failed these inside the freeze ("Unable to interrupt task"), under the rlimit headline.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);

        var refusal = await RefusedAsync(pair, pid);

        Assert.Contains(says, refusal, StringComparison.Ordinal);
        Assert.Contains(fix, refusal, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Phaul_itself_and_its_parent_are_refused_since_phaul_would_freeze_itself()
    {
        // Failure handled: dumping the tree that holds phaul would freeze phaul and its CRIU with it.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);

        Assert.Contains("is phaul itself", await RefusedAsync(pair, Environment.ProcessId), StringComparison.Ordinal);
        Assert.Contains("is an ancestor of phaul", await RefusedAsync(pair, ProcessTable.ParentOf(Environment.ProcessId)), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_process_that_is_not_its_PID_namespaces_init_is_refused_naming_the_init_and_keeps_running_unfrozen()
    {
        // Failure handled: CRIU's "Can't dump a pid namespace without the process init", met only after freezing the tree.
        var criuPath = CriuTestEnvironment.RequireCriu();
        using var pair = await InProcessPair.CreateAsync(criuPath, Ct);
        using var shell = await ShellWorkload.StartAsync("bash -c 'n=0; while :; do n=$((n+1)); echo $n > counter; sleep 0.01; done' & wait", cancellationToken: Ct);
        var counter = await shell.FirstChildAsync(Ct);
        await shell.WaitForCounterAsync(5, Progress, Ct);

        var refusal = await RefusedAsync(pair, counter);
        await shell.WaitForCounterAsync(20, Progress, Ct);

        Assert.Contains($"pid {counter} (bash) is pid 2 of its own PID namespace, not that namespace's init", refusal, StringComparison.Ordinal);
        Assert.Contains($"Fix: migrate pid {shell.Root}, the namespace's init", refusal, StringComparison.Ordinal);
    }

    /// <summary>Migrates <paramref name="pid"/>, which must be refused at CheckTree with CRIU never run; returns the refusal.</summary>
    private static async Task<string> RefusedAsync(InProcessPair pair, int pid)
    {
        var error = await Assert.ThrowsAsync<MigrationException>(() => pair.Client(pid).MigrateAsync(Ct));
        Assert.Equal(MigrationStep.CheckTree, error.Step);
        Assert.False(error.FinalStageCompleted);
        Assert.Empty(pair.Source.GetFileSystemInfos()); // no iteration directory, no CRIU log: nothing ran
        Assert.Empty(pair.Destination.GetFileSystemInfos());
        return Assert.IsType<TreeNotDumpableException>(error.InnerException).Message;
    }
}
