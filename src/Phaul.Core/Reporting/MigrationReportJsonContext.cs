using System.Text.Json;
using System.Text.Json.Serialization;

namespace Phaul;

/// <summary>
/// The report's JSON form, kept out of the model: camelCase names, enums as their names, durations as
/// milliseconds (numbers), and no reflection (trimming, AOT). docs/migration-report.schema.json describes it.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
                             Converters = [typeof(MillisecondsJsonConverter)])]
[JsonSerializable(typeof(MigrationReport))]
internal sealed partial class MigrationReportJsonContext : JsonSerializerContext;

/// <summary>A <see cref="TimeSpan"/> as a number of milliseconds, which every JSON reader can compare and sum.</summary>
internal sealed class MillisecondsJsonConverter : JsonConverter<TimeSpan>
{
    // Whole ticks (100 ns) both ways, so that a report read back equals the one written.
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        TimeSpan.FromTicks((long)Math.Round(reader.GetDouble() * TimeSpan.TicksPerMillisecond));

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.Ticks / (double)TimeSpan.TicksPerMillisecond);
}
