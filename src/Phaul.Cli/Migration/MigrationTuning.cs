using Phaul.Rpc;

namespace Phaul.Cli.Migration;

/// <summary>What <c>phaul migrate</c> was told about CRIU and the pre-copy loop beyond where and how.</summary>
/// <param name="CriuOptions">The CRIU options stated on the source (<c>--tcp-established</c>, <c>--external</c>, ...); null for none.</param>
/// <param name="MaxIterations">The most pre-dumps (<c>--max-iterations</c>); null for the library's default.</param>
/// <param name="DowntimeTarget">When to stop pre-copying (<c>--downtime-target</c>); null for none.</param>
internal sealed record MigrationTuning(CriuOpts? CriuOptions, int? MaxIterations, TimeSpan? DowntimeTarget)
{
    /// <summary><paramref name="options"/> with the loop's limits that were given.</summary>
    public PhaulClientOptions ApplyTo(PhaulClientOptions options) => options with
    {
        MaxIterations = MaxIterations ?? options.MaxIterations,
        DowntimeTarget = DowntimeTarget ?? options.DowntimeTarget,
    };
}
