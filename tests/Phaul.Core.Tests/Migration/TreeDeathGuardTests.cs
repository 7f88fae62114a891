using System.Diagnostics;
using System.Globalization;

namespace Phaul.Core.Tests.Migration;

/// <summary>The guard that takes a tree along when Phaul dies, with real processes (a shell and its children).</summary>
public sealed class TreeDeathGuardTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tripped_as_by_our_death_it_kills_the_whole_tree()
    {
        // Failure handled: Phaul dies (kill -9) while a lazily restored tree still lacks pages: the tree must not run on.
        using var tree = StartTree();
        var child = await ChildOfAsync(tree.Id);
        var guard = TreeDeathGuard.Arm(tree.Id);

        guard.Trip();

        await tree.WaitForExitAsync(Ct).WaitAsync(Patience, Ct);
        await Poll.UntilAsync(() => TreeDeathGuard.StartTimeOf(child) is null || IsZombie(child) ? "gone" : null, Patience, $"child {child} to die", Ct);
        guard.Dispose();
    }

    [Fact]
    public async Task Released_it_leaves_the_tree_alone()
    {
        using var tree = StartTree();
        var child = await ChildOfAsync(tree.Id);

        using (TreeDeathGuard.Arm(tree.Id))
        {
        }

        Assert.False(tree.HasExited);
        Assert.NotNull(TreeDeathGuard.StartTimeOf(child));
        tree.Kill(entireProcessTree: true);
    }

    [Fact]
    public void Arming_over_a_process_that_is_gone_fails_instead_of_guarding_nothing()
    {
        using var gone = Process.Start("/bin/true")!;
        gone.WaitForExit();

        Assert.Throws<NativeCallException>(() => TreeDeathGuard.Arm(gone.Id));
    }

    private static Process StartTree() =>
        Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 3600 & wait"]) { RedirectStandardInput = true })!;

    private static Task<int> ChildOfAsync(int pid) =>
        Poll.UntilAsync(() => File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries)
                                  .Select(c => int.Parse(c, CultureInfo.InvariantCulture)).Cast<int?>().FirstOrDefault(),
                        Patience, $"pid {pid} to fork", Ct);

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
    }
}
