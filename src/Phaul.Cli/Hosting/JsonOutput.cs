using System.Text;
using System.Text.Json;

namespace Phaul.Cli.Hosting;

/// <summary>One JSON object for machine output (<c>check --json</c>, <c>serve --json</c>), opened with its schema version.</summary>
internal static class JsonOutput
{
    /// <summary>The object's text: <c>schemaVersion</c> first, then what <paramref name="fields"/> writes.</summary>
    public static string Object(int schemaVersion, Action<Utf8JsonWriter> fields, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("schemaVersion", schemaVersion);
            fields(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
