namespace Phaul;

/// <summary>What the migration types reach outside CRIU, replaceable in unit tests.</summary>
internal sealed record MigrationDependencies(IStatsSource Stats, IImagesDirectoryOpener Directories, IMemorySocket MemorySocket,
                                             IProcessTrees Trees)
{
    public MigrationDependencies(IStatsSource stats, IImagesDirectoryOpener directories, IMemorySocket memorySocket)
        : this(stats, directories, memorySocket, ProcessTrees.Instance)
    {
    }

    /// <summary>Why the source cannot serve lazy pages (pipe size), or null; replaceable because it reads the host's settings.</summary>
    public Func<string?> PipeSizeCheck { get; init; } = PipeSizeRequirement.WhyInsufficient;

    /// <summary>This host's memory accounting, as a destination reports it; replaceable because it reads the host's settings.</summary>
    public Func<DestinationMemory?> ReadDestinationMemory { get; init; } = DestinationMemory.ReadLocal;

    /// <summary>The private mappings of the tree rooted at a pid, as the source judges them against the destination's accounting.</summary>
    public Func<int, TreeMappings?> ReadTreeMappings { get; init; } = TreeMappings.Read;

    /// <summary>
    /// The tree's anonymous resident memory, for the forecast; null when the root cannot be read. By default none: tests
    /// with a fake CRIU and a made-up pid then get the fixed order of strategies.
    /// </summary>
    public Func<int, long?> ReadTreeMemory { get; init; } = _ => null;

    /// <summary>How fast the tree dirties its memory (bytes per second, given its memory), for the forecast; null when it cannot be sampled.</summary>
    public Func<int, long, CancellationToken, Task<double?>> SampleDirtyRate { get; init; } = (_, _, _) => Task.FromResult<double?>(null);

    /// <summary>Whether CRIU can dump the tree at a pid; by default every pid passes, so that tests with a fake CRIU need no real tree.</summary>
    public Func<int, TreeVerdict> TreeCheck { get; init; } = _ => TreeVerdict.Dumpable;

    public static MigrationDependencies Default { get; } =
        new(CriuStatsSource.Instance, ImagesDirectoryOpener.Instance, Phaul.MemorySocket.Instance, ProcessTrees.Instance)
        {
            TreeCheck = DumpableTreeCheck.Host.Check,
            ReadTreeMemory = TreeMemory.ReadAnonymousBytes,
            SampleDirtyRate = DirtyRateSampler.Default.SampleAsync,
        };
}
