using System.Diagnostics;

namespace Phaul.Core.Tests.Planning;

public sealed class TreeMemoryTests
{
    [Fact]
    public void The_anonymous_line_of_smaps_rollup_is_read_in_bytes()
    {
        const string Rollup = "55f7381ea000-7ffc46a5e000 ---p 00000000 00:00 0  [rollup]\nRss:    1784 kB\nAnonymous:   112 kB\nKSM: 0 kB\n";

        Assert.Equal(112 * 1024, TreeMemory.AnonymousBytes(Rollup));
    }

    [Theory]
    [InlineData("Rss: 1784 kB\n")]
    [InlineData("Anonymous: many kB\n")]
    [InlineData("Anonymous: 112 MB\n")]
    public void A_rollup_without_a_readable_anonymous_figure_is_a_format_error_naming_it(string rollup)
    {
        var error = Assert.Throws<FormatException>(() => TreeMemory.AnonymousBytes(rollup));

        Assert.Contains("Anonymous", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tree_counts_the_memory_its_processes_touched_and_a_gone_root_gives_none()
    {
        // dd keeps a 8 MiB buffer it has filled: at least that much anonymous memory.
        using var dd = Process.Start(new ProcessStartInfo("dd", ["if=/dev/zero", "of=/dev/null", "bs=8M"]) { RedirectStandardError = true })!;
        try
        {
            var bytes = await Poll.UntilAsync(() => TreeMemory.ReadAnonymousBytes(dd.Id) is >= 8 << 20 and var read ? read : (long?)null,
                                              TimeSpan.FromSeconds(10), "dd's 8 MiB buffer in its anonymous memory", TestContext.Current.CancellationToken);

            Assert.InRange(bytes, 8L << 20, 64L << 20);
        }
        finally
        {
            dd.Kill();
            dd.WaitForExit();
        }
        Assert.Null(TreeMemory.ReadAnonymousBytes(dd.Id));
    }
}
