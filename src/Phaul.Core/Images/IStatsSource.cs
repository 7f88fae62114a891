using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// Reads CRIU's statistics files from an images directory. The migration reads statistics only
/// through this seam so that unit tests can script them.
/// </summary>
internal interface IStatsSource
{
    /// <summary>The <c>dump</c> entry of <c>directory/stats-dump</c>, or <see langword="null"/> when there is no such file.</summary>
    Task<DumpStatsEntry?> ReadDumpStatsAsync(string directory, CancellationToken cancellationToken);

    /// <summary>The <c>restore</c> entry of <c>directory/stats-restore</c>, or <see langword="null"/> when there is no such file.</summary>
    Task<RestoreStatsEntry?> ReadRestoreStatsAsync(string directory, CancellationToken cancellationToken);
}
