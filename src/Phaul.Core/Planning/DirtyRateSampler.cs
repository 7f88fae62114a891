using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>
/// Estimates how fast a tree dirties its memory without the kernel's dirty tracking: reads a random sample of its
/// resident private writable pages (process_vm_readv), reads them again a short while later, and scales the share that
/// changed to the tree's memory over that while. A page written with the bytes it held counts as clean, so the
/// figure is a lower bound; a page written twice counts once, as for a pre-dump.
/// </summary>
internal sealed class DirtyRateSampler(int samplePages, TimeSpan window)
{
    private const int PageSize = 4096;
    private const ulong PagePresent = 1UL << 63;

    public static DirtyRateSampler Default { get; } = new(512, TimeSpan.FromMilliseconds(100));

    /// <summary>Bytes per second the tree rooted at <paramref name="root"/> dirties; <see langword="null"/> when no page could be sampled.</summary>
    public async Task<double?> SampleAsync(int root, long memoryBytes, CancellationToken cancellationToken)
    {
        var pages = PickResidentPages(root);
        if (pages.Count == 0)
            return null;
        var before = Read(pages);
        var clock = Stopwatch.StartNew();
        await Task.Delay(window, cancellationToken).ConfigureAwait(false);
        var after = Read(pages);
        var elapsed = clock.Elapsed;
        var (compared, changed) = (0, 0);
        for (var i = 0; i < pages.Count; i++)
        {
            if (before[i] is not { } first || after[i] is not { } second)
                continue;
            compared++;
            if (!first.AsSpan().SequenceEqual(second))
                changed++;
        }
        return compared == 0 ? null : memoryBytes * ((double)changed / compared) / elapsed.TotalSeconds;
    }

    private List<(int Pid, ulong Address)> PickResidentPages(int root)
    {
        var regions = ProcessTrees.Members(root).SelectMany(WritablePrivateRegions).ToList();
        var pagesUpTo = new long[regions.Count];
        for (var i = 0; i < regions.Count; i++)
            pagesUpTo[i] = (i == 0 ? 0 : pagesUpTo[i - 1]) + (long)((regions[i].End - regions[i].Start) / PageSize);
        var picked = new List<(int Pid, ulong Address)>();
        if (regions.Count == 0 || pagesUpTo[^1] == 0)
            return picked;
        var pagemaps = new Dictionary<int, SafeFileHandle?>();
        try
        {
            var random = new Random();
            for (var attempt = 0; attempt < samplePages * 8 && picked.Count < samplePages; attempt++)
            {
                var page = random.NextInt64(pagesUpTo[^1]);
                var found = Array.BinarySearch(pagesUpTo, page);
                var index = found >= 0 ? found + 1 : ~found;
                var (pid, start, _) = regions[index];
                var address = start + (ulong)(page - (index == 0 ? 0 : pagesUpTo[index - 1])) * PageSize;
                if (IsPresent(Pagemap(pagemaps, pid), address))
                    picked.Add((pid, address));
            }
            return picked;
        }
        finally
        {
            foreach (var pagemap in pagemaps.Values)
                pagemap?.Dispose();
        }
    }

    private static SafeFileHandle? Pagemap(Dictionary<int, SafeFileHandle?> open, int pid)
    {
        if (open.TryGetValue(pid, out var handle))
            return handle;
        try
        {
            handle = File.OpenHandle($"/proc/{pid}/pagemap");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle = null;
        }
        open[pid] = handle;
        return handle;
    }

    private static IEnumerable<(int Pid, ulong Start, ulong End)> WritablePrivateRegions(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/maps");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var line in lines)
        {
            if (TreeMappings.TryParseRange(line, out var start, out var end, out var permissions) && permissions == "rw-p" && end > start)
                yield return (pid, start, end);
        }
    }

    private static bool IsPresent(SafeFileHandle? pagemap, ulong address)
    {
        if (pagemap is null)
            return false;
        Span<byte> entry = stackalloc byte[8];
        try
        {
            return RandomAccess.Read(pagemap, entry, (long)(address / PageSize * 8)) == 8
                   && (BinaryPrimitives.ReadUInt64LittleEndian(entry) & PagePresent) != 0;
        }
        catch (IOException)
        {
            return false;
        }
    }

    // Each page's bytes, or null for a page that could not be read (its process exited, its mapping went).
    private static byte[]?[] Read(List<(int Pid, ulong Address)> pages)
    {
        var copies = new byte[]?[pages.Count];
        for (var i = 0; i < pages.Count; i++)
            copies[i] = ReadPage(pages[i].Pid, pages[i].Address);
        return copies;
    }

    private static unsafe byte[]? ReadPage(int pid, ulong address)
    {
        var page = new byte[PageSize];
        fixed (byte* buffer = page)
        {
            var local = new Interop.Iovec { Base = (nint)buffer, Length = PageSize };
            var remote = new Interop.Iovec { Base = (nint)address, Length = PageSize };
            return Interop.ProcessVmReadv(pid, &local, 1, &remote, 1, 0) == PageSize ? page : null;
        }
    }
}
