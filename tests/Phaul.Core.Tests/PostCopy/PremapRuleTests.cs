namespace Phaul.Core.Tests.PostCopy;

public class PremapRuleTests
{
    private const long GiB = 1L << 30;

    // As a .NET 10 process shows them: the GC's PROT_NONE reservation (no "nr": counted by the heuristic), a small heap
    // mapping, a MAP_NORESERVE mapping (only the strict mode counts it), a shared one and a hugetlb one (never premapped).
    private const string DotnetSmaps =
        "55d0c0000000-55d0c0001000 r--p 00000000 08:01 123 /usr/share/dotnet/dotnet\n" +
        "Size:                  4 kB\n" +
        "VmFlags: rd mr mw me dw\n" +
        "7ecccb801000-7f0cc4000000 ---p 00000000 00:00 0 \n" +
        "Size:          268311036 kB\n" +
        "VmFlags: mr mw me dd\n" +
        "7f0d00000000-7f0d00100000 rw-p 00000000 00:00 0 \n" +
        "VmFlags: rd wr mr mw me ac\n" +
        "7f0e00000000-7f1000000000 ---p 00000000 00:00 0 \n" +
        "VmFlags: mr mw me nr\n" +
        "7f1100000000-7f1100200000 rw-s 00000000 00:01 7 /dev/zero (deleted)\n" +
        "VmFlags: rd wr sh mr mw me ms\n" +
        "7f1200000000-7f1240000000 rw-p 00000000 00:0f 9 /anon_hugepage (deleted)\n" +
        "VmFlags: rd wr mr mw me ht\n";

    private static readonly TreeMappings Dotnet = new TreeMappings(0, 0, 0).Add(42, DotnetSmaps);

    [Fact]
    public void The_tree_figures_count_private_mappings_and_leave_out_shared_and_hugetlb_ones()
    {
        Assert.Equal(42, Dotnet.LargestPid);
        Assert.Equal(0x7f0cc4000000L - 0x7ecccb801000L, Dotnet.LargestBytes); // the reservation, not the larger MAP_NORESERVE one
        Assert.Equal(0x1000L + (0x7f0cc4000000L - 0x7ecccb801000L) + 0x100000L + 8 * GiB, Dotnet.TotalBytes);
    }

    [Fact]
    public void Heuristic_overcommit_refuses_a_mapping_larger_than_RAM_and_swap_and_names_the_setting_and_the_fix()
    {
        // Failure handled: vm.overcommit_memory=0 on a 24 GiB destination and a .NET tree: CRIU's lazy restore would fail with
        // "Unable to map ANON_VMA: Cannot allocate memory" after the freeze.
        var destination = new DestinationMemory(DestinationMemory.Heuristic, 24 * GiB, 12 * GiB, 2 * GiB);

        var why = PremapRule.WhyCannotPremap(destination, Dotnet);

        Assert.NotNull(why);
        Assert.Contains("vm.overcommit_memory = 0 (heuristic)", why, StringComparison.Ordinal);
        Assert.Contains("pid 42", why, StringComparison.Ordinal);
        Assert.Contains("24.0 GiB", why, StringComparison.Ordinal);
        Assert.EndsWith("fix: sysctl vm.overcommit_memory=1 on the destination", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Heuristic_overcommit_lets_a_tree_whose_mappings_each_fit_in_RAM_and_swap_through()
    {
        var small = new TreeMappings(0, 0, 0).Add(7, "7f0d00000000-7f0d40000000 rw-p 00000000 00:00 0 \nVmFlags: rd wr mr mw me ac\n");

        Assert.Null(PremapRule.WhyCannotPremap(new DestinationMemory(DestinationMemory.Heuristic, 2 * GiB, GiB, 0), small));
    }

    [Fact]
    public void Always_overcommit_maps_any_tree()
    {
        Assert.Null(PremapRule.WhyCannotPremap(new DestinationMemory(DestinationMemory.Always, GiB, GiB, GiB), Dotnet));
    }

    [Fact]
    public void Strict_overcommit_refuses_a_tree_whose_mappings_and_what_is_committed_pass_CommitLimit()
    {
        // Failure handled: vm.overcommit_memory=2 counts every private mapping, MAP_NORESERVE ones too.
        var tree = new TreeMappings(0, 0, 0).Add(7, "7f0d00000000-7f0d40000000 rw-p 00000000 00:00 0 \nVmFlags: rd wr mr mw me nr\n");

        var why = PremapRule.WhyCannotPremap(new DestinationMemory(DestinationMemory.Strict, 4 * GiB, 2 * GiB, GiB + 1), tree);

        Assert.NotNull(why);
        Assert.Contains("vm.overcommit_memory = 2 (strict accounting)", why, StringComparison.Ordinal);
        Assert.Contains("CommitLimit of 2.0 GiB", why, StringComparison.Ordinal);
        Assert.Null(PremapRule.WhyCannotPremap(new DestinationMemory(DestinationMemory.Strict, 4 * GiB, 2 * GiB, GiB), tree));
    }

    [Fact]
    public void The_settings_are_read_from_overcommit_memory_and_meminfo_in_bytes()
    {
        var memory = DestinationMemory.Parse("0\n", "MemTotal:       24683756 kB\nSwapTotal:          1024 kB\nCommitLimit:    12341876 kB\nCommitted_AS:    1726228 kB\n");

        Assert.Equal(new DestinationMemory(0, (24683756L + 1024) * 1024, 12341876L * 1024, 1726228L * 1024), memory);
    }

    [Fact]
    public void A_meminfo_without_a_needed_line_is_a_format_error_naming_it()
    {
        // Failure handled: an unexpected /proc/meminfo; the destination then reports nothing rather than a wrong limit.
        var error = Assert.Throws<FormatException>(() => DestinationMemory.Parse("0", "MemTotal: 1 kB\nSwapTotal: 0 kB\nCommitLimit: 1 kB\n"));

        Assert.Contains("Committed_AS", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tree_figures_of_this_test_process_are_read_from_proc()
    {
        var self = TreeMappings.Read(Environment.ProcessId);

        Assert.NotNull(self);
        Assert.Equal(Environment.ProcessId, self.LargestPid);
        Assert.True(self.LargestBytes > 0 && self.TotalBytes >= self.LargestBytes);
    }
}
