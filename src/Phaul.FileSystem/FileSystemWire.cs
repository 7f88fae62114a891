using System.Text.Json;
using System.Text.Json.Serialization;

namespace Phaul.FileSystem;

/// <summary>
/// What the source's and the destination's file-system ends send each other through the transport's extension
/// messages: the plan (a request) and the arguments of one rsync copy (a stream's header), as JSON.
/// </summary>
internal static class FileSystemWire
{
    /// <summary>The name the destination registers its file-system extension under.</summary>
    public const string ExtensionName = "phaul.filesystem";

    public static byte[] Plan(FileSystemPlan plan) => JsonSerializer.SerializeToUtf8Bytes(plan, FileSystemWireContext.Default.FileSystemPlan);

    /// <exception cref="FileSystemMigrationException">The bytes are no plan.</exception>
    public static FileSystemPlan ReadPlan(ReadOnlyMemory<byte> bytes) =>
        Read(bytes, FileSystemWireContext.Default.FileSystemPlan, "plan");

    public static byte[] Arguments(IReadOnlyList<string> arguments) =>
        JsonSerializer.SerializeToUtf8Bytes([.. arguments], FileSystemWireContext.Default.StringArray);

    /// <exception cref="FileSystemMigrationException">The bytes are no argument list.</exception>
    public static IReadOnlyList<string> ReadArguments(ReadOnlyMemory<byte> bytes) =>
        Read(bytes, FileSystemWireContext.Default.StringArray, "rsync command line");

    private static T Read<T>(ReadOnlyMemory<byte> bytes, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes.Span, type) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new FileSystemMigrationException($"The destination could not read the source's {what}: {e.Message}", e);
        }
    }
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FileSystemPlan))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class FileSystemWireContext : JsonSerializerContext;
