using System.Text.Json;
using System.Text.Json.Serialization;

namespace Phaul;

/// <summary>
/// What a migration did: its strategy, why pre-copy stopped, CRIU's statistics of every iteration,
/// of the final dump and (when available) of the restore, and how long it took.
/// As JSON (<see cref="ToJson"/>, <see cref="FromJson"/>): camelCase names, durations in milliseconds, and a
/// <see cref="SchemaVersion"/>; docs/migration-report.schema.json is its JSON Schema.
/// </summary>
public sealed record MigrationReport
{
    /// <summary>The version of the JSON form this Phaul writes; a reader refuses a newer one.</summary>
    public const int CurrentSchemaVersion = 2;

    /// <summary>The version of the JSON form (<see cref="CurrentSchemaVersion"/> when made by this Phaul).</summary>
    [JsonPropertyOrder(-1)]
    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>The migrated tree's root on the source.</summary>
    public int Pid { get; init; }

    /// <summary>The strategy asked for (<see cref="PhaulClientOptions.Strategy"/>).</summary>
    public MigrationStrategy RequestedStrategy { get; init; }

    /// <summary>How the memory was moved.</summary>
    public MigrationStrategy Strategy { get; init; }

    /// <summary>
    /// Why <see cref="Strategy"/> is not the best one asked for (what either end lacked), or
    /// <see langword="null"/> when it is.
    /// </summary>
    public string? StrategyNote { get; init; }

    /// <summary>Why the migration went to its final dump when it did (including why it never pre-copied).</summary>
    public PreCopyStopReason StopReason { get; init; }

    /// <summary>
    /// What the source measured before it chose the strategy (the tree's memory, the link, the dirty rate), the
    /// downtime and total time it predicted for each strategy both ends support, and why <see cref="Strategy"/> was
    /// chosen; <see langword="null"/> when the tree's memory could not be read.
    /// </summary>
    public MigrationForecast? Forecast { get; init; }

    /// <summary>The pre-copy iterations, in order; empty for stop-and-copy.</summary>
    public IReadOnlyList<IterationReport> Iterations { get; init; } = [];

    /// <summary>CRIU's statistics of the final dump alone, when the final stage reported them.</summary>
    public DumpStatistics? FinalDump { get; init; }

    /// <summary>CRIU's statistics of the restore on the destination, when available.</summary>
    public RestoreStatistics? Restore { get; init; }

    /// <summary>The restored tree's root on the destination, when the final stage reported it.</summary>
    public int? RestoredPid { get; init; }

    /// <summary>
    /// For post-copy and hybrid: the downtime's phases (freeze to resume), when the last page arrived, and how
    /// many pages came on demand and in the background; <see langword="null"/> otherwise.
    /// </summary>
    public PostCopyReport? PostCopy { get; init; }

    /// <summary>
    /// For stop-and-copy and pre-copy through the transport: the downtime phase by phase (freeze to the destination's word
    /// that the tree runs); <see langword="null"/> for post-copy, hybrid, or a final stage that does not report it.
    /// </summary>
    public FreezeReport? Freeze { get; init; }

    /// <summary>
    /// How long the final stage (<see cref="IPhaulLocal.DumpCopyRestoreAsync"/>) took: for pre-copy and
    /// stop-and-copy an upper bound of the time the tree was not running anywhere, seen from the source; for
    /// post-copy it lasts until the last page arrived (the downtime is <see cref="PostCopyReport.FreezeToResume"/>).
    /// </summary>
    public TimeSpan FinalStageDuration { get; init; }

    /// <summary>
    /// The hooks' phases, in the order they ran (before the iterations, after each pre-dump, during the freeze),
    /// when there were hooks (<see cref="PhaulClientOptions.Hooks"/>); empty otherwise.
    /// </summary>
    public IReadOnlyList<MigrationHookReport> Hooks { get; init; } = [];

    /// <summary>When the migration started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the migration completed.</summary>
    public DateTimeOffset CompletedAt { get; init; }

    /// <summary>How long the whole migration took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The report as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, MigrationReportJsonContext.Default.MigrationReport);

    /// <summary>Reads a report written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <exception cref="JsonException">The text is not a migration report, or one of a newer schema version.</exception>
    public static MigrationReport FromJson(string json)
    {
        var report = JsonSerializer.Deserialize(json, MigrationReportJsonContext.Default.MigrationReport)
                     ?? throw new JsonException("The JSON text holds null, not a migration report.");
        if (report.SchemaVersion > CurrentSchemaVersion)
            throw new JsonException($"The migration report's schema version is {report.SchemaVersion}; this Phaul reads up to {CurrentSchemaVersion}.");
        return report;
    }
}
