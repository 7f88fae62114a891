namespace Phaul;

/// <summary>What the migration types reach outside CRIU, replaceable in unit tests.</summary>
internal sealed record MigrationDependencies(IStatsSource Stats, IImagesDirectoryOpener Directories, IMemorySocket MemorySocket)
{
    public static MigrationDependencies Default { get; } =
        new(CriuStatsSource.Instance, ImagesDirectoryOpener.Instance, Phaul.MemorySocket.Instance);
}
