using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;

namespace Phaul;

/// <summary>The JSON Schema of <see cref="MigrationReport.ToJson"/>, generated from the types so that the two cannot drift apart.</summary>
internal static class MigrationReportSchema
{
    /// <summary>The schema as indented JSON, the text of docs/migration-report.schema.json.</summary>
    public static string Generate()
    {
        var exporter = new JsonSchemaExporterOptions { TreatNullObliviousAsNonNullable = true, TransformSchemaNode = Describe };
        var schema = MigrationReportJsonContext.Default.MigrationReport.GetJsonSchemaAsNode(exporter);
        if (schema is JsonObject root)
        {
            root.Insert(0, "$schema", "https://json-schema.org/draft/2020-12/schema");
            root.Insert(1, "title", "Phaul migration report");
        }
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    // The converter writes durations as numbers, which the exporter cannot see: say so, with the unit.
    private static JsonNode Describe(JsonSchemaExporterContext context, JsonNode schema)
    {
        var type = context.TypeInfo.Type;
        if (type == typeof(TimeSpan))
            return new JsonObject { ["type"] = "number", ["description"] = "milliseconds" };
        if (type == typeof(TimeSpan?))
            return new JsonObject { ["type"] = new JsonArray("number", "null"), ["description"] = "milliseconds" };
        return schema;
    }
}
