using Phaul.Rpc;

namespace Phaul.Cli.Migration;

/// <summary>What <c>phaul migrate</c> was told about CRIU and the pre-copy loop beyond where and how.</summary>
/// <param name="CriuOptions">The CRIU options stated on the source (<c>--tcp-established</c>, <c>--external</c>, ...); null for none.</param>
/// <param name="MaxIterations">The most pre-dumps (<c>--max-iterations</c>); null for the library's default.</param>
/// <param name="DowntimeTarget">When to stop pre-copying (<c>--downtime-target</c>); null for none.</param>
/// <param name="CriuConfigFile">A CRIU configuration file whose options come before <paramref name="CriuOptions"/> (<c>--criu-config</c>); null for none.</param>
internal sealed record MigrationTuning(CriuOpts? CriuOptions, int? MaxIterations, TimeSpan? DowntimeTarget, string? CriuConfigFile = null)
{
    /// <summary>
    /// This tuning with the configuration file's options read into <see cref="CriuOptions"/> (the command line's after
    /// them: a value given there wins, lists are joined); null with <paramref name="error"/> naming the file and line.
    /// </summary>
    public MigrationTuning? WithConfigFileRead(out string error)
    {
        error = "";
        if (CriuConfigFile is null)
            return this;
        if (Parsing.CriuConfigFile.Read(CriuConfigFile, out error) is not { } fromFile)
            return null;
        if (CriuOptions is not null)
            fromFile.MergeFrom(CriuOptions);
        return this with { CriuOptions = fromFile.CalculateSize() == 0 ? null : fromFile, CriuConfigFile = null };
    }

    /// <summary><paramref name="options"/> with the loop's limits that were given.</summary>
    public PhaulClientOptions ApplyTo(PhaulClientOptions options) => options with
    {
        MaxIterations = MaxIterations ?? options.MaxIterations,
        DowntimeTarget = DowntimeTarget ?? options.DowntimeTarget,
    };
}
