namespace Phaul;

/// <summary>
/// Whether the destination's kernel lets CRIU map the tree's memory for a restore that is lazy (post-copy, hybrid)
/// or reads a parent image (pre-copy).
/// </summary>
/// <remarks>
/// Why such a restore needs more than a plain one: a plain restore (no parent image, no lazy pages) maps each
/// private mapping in CRIU's restorer with the mapping's own protection, writable only if the dump holds pages
/// for it, so a PROT_NONE reservation stays PROT_NONE and the kernel charges nothing for it. When the pages are
/// lazy or come partly from a parent image, CRIU cannot read them from the restorer and "premaps" every private
/// mapping first, in one mmap call each, with PROT_WRITE added (CRIU 4.2, criu/mem.c premap_private_vma), and
/// without MAP_NORESERVE unless the source's mapping had it (VmFlags "nr"). The kernel charges a private writable
/// mapping without VM_NORESERVE against its commit accounting (mm/util.c __vm_enough_memory):
/// vm.overcommit_memory=1 allows anything; 0 (heuristic) refuses one mapping larger than RAM + swap; 2 (strict)
/// refuses once everything committed would pass CommitLimit, and ignores MAP_NORESERVE. Every .NET process reserves
/// a PROT_NONE range of about 256 GiB for its GC heap, so with 0 on a host with less RAM + swap than that the lazy
/// restore fails with CRIU's "Unable to map ANON_VMA: Cannot allocate memory", while stop-and-copy restores it.
/// Verified here: an ASP.NET Core service, raw CRIU 4.2.1, lazy restore fails with 0 and works with 1.
/// </remarks>
internal static class PremapRule
{
    /// <summary>Why the destination cannot premap <paramref name="tree"/>, naming the setting and the fix; <see langword="null"/> when it can.</summary>
    public static string? WhyCannotPremap(DestinationMemory destination, TreeMappings tree) => destination.OvercommitMemory switch
    {
        DestinationMemory.Heuristic when tree.LargestBytes > destination.RamAndSwapBytes =>
            $"the destination's {destination.Setting} refuses any single mapping larger than its RAM + swap " +
            $"({DestinationMemory.Gibibytes(destination.RamAndSwapBytes)}), and a lazy restore (post-copy, hybrid) or one from pre-copy's parent images maps " +
            $"each private mapping of the tree writable: pid {tree.LargestPid} has one of {DestinationMemory.Gibibytes(tree.LargestBytes)} " +
            $"(an address-space reservation, as every .NET process makes); fix: {DestinationMemory.Fix} on the destination",
        DestinationMemory.Strict when destination.CommittedBytes + tree.TotalBytes > destination.CommitLimitBytes =>
            $"the destination's {destination.Setting} charges every private mapping a lazy restore (post-copy, hybrid) or one from " +
            $"pre-copy's parent images maps writable: the tree's {DestinationMemory.Gibibytes(tree.TotalBytes)} and the {DestinationMemory.Gibibytes(destination.CommittedBytes)} " +
            $"committed there already pass its CommitLimit of {DestinationMemory.Gibibytes(destination.CommitLimitBytes)}; fix: {DestinationMemory.Fix} on the destination",
        _ => null,
    };
}
