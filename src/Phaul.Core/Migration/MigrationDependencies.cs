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

    /// <summary>Whether CRIU can dump the tree at a pid; by default every pid passes, so that tests with a fake CRIU need no real tree.</summary>
    public Func<int, TreeVerdict> TreeCheck { get; init; } = _ => TreeVerdict.Dumpable;

    public static MigrationDependencies Default { get; } =
        new(CriuStatsSource.Instance, ImagesDirectoryOpener.Instance, Phaul.MemorySocket.Instance, ProcessTrees.Instance)
        {
            TreeCheck = DumpableTreeCheck.Host.Check,
        };
}
