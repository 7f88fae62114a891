using System.Text.Json;

namespace Phaul.Core.Tests.Migration;

/// <summary>The report's JSON form is what scripts read: versioned, camelCase, durations as numbers, and described by the checked-in schema.</summary>
public sealed class MigrationReportJsonTests
{
    private const string SchemaPath = "docs/migration-report.schema.json";

    [Fact]
    public void The_checked_in_schema_is_the_one_the_types_give()
    {
        // PHAUL_WRITE_SCHEMA=1 rewrites the file after a deliberate change to the report.
        var generated = MigrationReportSchema.Generate();
        var path = Path.Combine(RepositoryRoot(), SchemaPath);
        if (Environment.GetEnvironmentVariable("PHAUL_WRITE_SCHEMA") == "1")
            File.WriteAllText(path, generated);

        Assert.True(File.Exists(path), $"{SchemaPath} is missing; run the tests with PHAUL_WRITE_SCHEMA=1 to write it");
        Assert.True(generated == File.ReadAllText(path),
                    $"{SchemaPath} no longer matches MigrationReport: review the change, then run the tests with PHAUL_WRITE_SCHEMA=1");
    }

    [Fact]
    public void The_json_starts_with_its_schema_version_and_uses_camel_case_and_milliseconds()
    {
        var report = new MigrationReport
        {
            Strategy = MigrationStrategy.PostCopy,
            Duration = TimeSpan.FromSeconds(1.5),
            FinalStageDuration = TimeSpan.FromTicks(12_345_678),
            PostCopy = new PostCopyReport { FreezeToResume = TimeSpan.FromMilliseconds(250) },
        };

        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;

        Assert.Equal("schemaVersion", root.EnumerateObject().First().Name);
        Assert.Equal(MigrationReport.CurrentSchemaVersion, root.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(1500, root.GetProperty("duration").GetDouble());
        Assert.Equal(1234.5678, root.GetProperty("finalStageDuration").GetDouble());
        Assert.Equal(250, root.GetProperty("postCopy").GetProperty("freezeToResume").GetDouble());
        Assert.Equal("PostCopy", root.GetProperty("strategy").GetString());
        Assert.Equal(report, MigrationReport.FromJson(report.ToJson()) with { Iterations = report.Iterations, Hooks = report.Hooks });
    }

    [Fact]
    public void The_forecast_carries_its_measurements_and_predictions_in_milliseconds_and_reads_back()
    {
        var report = new MigrationReport
        {
            Strategy = MigrationStrategy.StopAndCopy,
            Forecast = new MigrationForecast
            {
                MemoryBytes = 4 << 20,
                LinkBytesPerSecond = 1e9,
                LinkRoundTrip = TimeSpan.FromMilliseconds(0.25),
                Strategies = [new StrategyForecast(MigrationStrategy.StopAndCopy, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(180))],
                Choice = "stop-and-copy: the shortest predicted downtime",
            },
        };

        using var json = JsonDocument.Parse(report.ToJson());
        var forecast = json.RootElement.GetProperty("forecast");

        Assert.Equal(4 << 20, forecast.GetProperty("memoryBytes").GetInt64());
        Assert.Equal(0.25, forecast.GetProperty("linkRoundTrip").GetDouble());
        var strategy = forecast.GetProperty("strategies")[0];
        Assert.Equal("StopAndCopy", strategy.GetProperty("strategy").GetString());
        Assert.Equal(80, strategy.GetProperty("downtime").GetDouble());
        Assert.Equal(180, strategy.GetProperty("totalTime").GetDouble());
        var read = MigrationReport.FromJson(report.ToJson()).Forecast!;
        Assert.Equal(report.Forecast.Strategies, read.Strategies);
        Assert.Equal(report.Forecast with { Strategies = read.Strategies }, read);
    }

    [Fact]
    public void A_report_of_a_newer_schema_version_is_refused_naming_both_versions()
    {
        var newer = new MigrationReport().ToJson().Replace($"\"schemaVersion\": {MigrationReport.CurrentSchemaVersion}", "\"schemaVersion\": 99", StringComparison.Ordinal);

        var error = Assert.Throws<JsonException>(() => MigrationReport.FromJson(newer));

        Assert.Contains("schema version is 99", error.Message, StringComparison.Ordinal);
        Assert.Contains($"up to {MigrationReport.CurrentSchemaVersion}", error.Message, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Phaul.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"no Phaul.sln above {AppContext.BaseDirectory}");
    }
}
