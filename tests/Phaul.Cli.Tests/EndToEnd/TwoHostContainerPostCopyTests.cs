using Phaul.Cli.Tests.Support;
using Phaul.Containers;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// <c>phaul migrate --container --strategy postcopy</c> between two "hosts" (network namespaces) when the destination's
/// <c>phaul serve</c> dies while the container's memory follows: no copy with missing pages may run anywhere.
/// </summary>
[Collection(typeof(EndToEnd))]
public sealed class TwoHostContainerPostCopyTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private ContainerHosts _on = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 128 MiB in the shell's memory: more than crosses between the restore and the kill below.
    public async ValueTask InitializeAsync() => _on = await ContainerHosts.StartAsync(ballastMiB: 128);

    public async ValueTask DisposeAsync()
    {
        if (_on is not null)
            await _on.DisposeAsync();
    }

    [Fact]
    public async Task A_destination_killed_while_the_memory_follows_leaves_no_copy_there_and_this_one_paused()
    {
        // Failure handled: kill -9 of phaul serve once the container runs at the destination, its memory still following.
        // The lazy-pages daemon loses its connection, and its guard script, which runs apart from phaul, deletes the
        // container rather than let it read zeros where pages are missing. The source cannot learn the outcome: its copy
        // stays paused (in doubt, exit 4), never running twice.
        var key = TwoHostCli.NewKey(_on.Dir);
        await using var serve = await _on.StartServeAsync(key);

        await using var migrate = _on.StartMigrate(key, "--strategy", "postcopy");
        // runc's restore has returned: the container runs there (runc's state says running already while CRIU restores).
        await serve.WaitForStderrAsync(line => line.Contains($"Container {_on.Id}: restored here", StringComparison.Ordinal), Patience,
                                       "serve to log the restore");
        serve.Kill();
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.HandOverInDoubt, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        var deadline = DateTime.UtcNow + Patience;
        while (await _on.Destination.Runtime.GetStateAsync(_on.Id, Ct) is { } left)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the destination still has its copy with pages missing: {left.Status}, pid {left.Pid}");
            await Task.Delay(50, Ct);
        }
        Assert.Equal(ContainerStatus.Paused, (await _on.Source.Runtime.GetStateAsync(_on.Id, Ct))?.Status);
    }
}
