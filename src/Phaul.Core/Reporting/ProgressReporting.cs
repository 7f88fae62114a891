using Microsoft.Extensions.Logging;

namespace Phaul;

internal static class ProgressReporting
{
    /// <summary>
    /// Hands <paramref name="progress"/> to the caller's sink. A sink that throws is logged, not obeyed: it runs inside
    /// the migration, some events while the tree is frozen, and a display must not decide where the tree runs.
    /// </summary>
    public static void ReportSafely(this IProgress<MigrationProgress>? sink, MigrationProgress progress, ILogger logger)
    {
        if (sink is null)
            return;
        try
        {
            sink.Report(progress);
        }
#pragma warning disable CA1031 // Logged; see above.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            logger.ProgressSinkFailed(progress.Kind, failure);
        }
    }
}
