using System.Text.Json.Serialization;

namespace Phaul;

/// <summary>System.Text.Json metadata for <see cref="MigrationReport"/>, usable without reflection (trimming, AOT).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(MigrationReport))]
public sealed partial class MigrationReportJsonContext : JsonSerializerContext;
