namespace Phaul.IntegrationTests;

/// <summary>The workload the migration tests rely on reports what they check.</summary>
public class WorkloadTests
{
    [Fact]
    public async Task Workload_RunsInItsOwnPidNamespace_AndReportsVerifiedMemory()
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartAsync(memoryMiB: 8, dirtyPagesPerTick: 4, TestContext.Current.CancellationToken);

        var status = await workload.WaitForProgressAsync(20, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(workload.IsRunning);
        Assert.Equal("1", NsPid(workload.Pid)[^1]);
        Assert.Equal(8L * 1024 * 1024 / 8, status.MemoryWords);
        Assert.True(status.VerifiedWords > 0);
        Assert.True(status.DirtiedPages > 0);
        Assert.Equal(0, status.BadWords);
    }

    [Fact]
    public async Task Workload_WithAHotSet_KeepsRewritingItsPatternIntact()
    {
        CriuTestEnvironment.RequireCriu();
        using var workload = await Workload.StartWithHotSetAsync(memoryMiB: 8, dirtyPagesPerTick: 4, hotSetPages: 16,
                                                                 TestContext.Current.CancellationToken);

        var status = await workload.WaitForProgressAsync(20, TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(status.DirtiedPages > 16, $"only {status.DirtiedPages} pages rewritten: the hot set was not cycled");
        Assert.Equal(0, status.BadWords);
    }

    [Fact]
    public async Task Workload_RefusesAnEmptyHotSet()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => Workload.StartWithHotSetAsync(memoryMiB: 8, dirtyPagesPerTick: 4, hotSetPages: 0, TestContext.Current.CancellationToken));
    }

    private static string[] NsPid(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("NSpid:", StringComparison.Ordinal))
            .Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
}
