using Phaul.Cli.Hosting;

namespace Phaul.Cli.Commands;

/// <summary>
/// One line per check (ok, a warning with its consequence, or a problem with its fix), or with <c>--json</c> one
/// JSON document at the end: <c>{"schemaVersion", "ready", "checks": [{"status", "text"}]}</c>.
/// </summary>
internal sealed class CheckReport(TextWriter output, bool json = false)
{
    public const int SchemaVersion = 1;

    private readonly List<(string Status, string Text)> _checks = [];

    public ExitCode ExitCode { get; private set; } = ExitCode.Success;

    /// <summary>A check that must pass for any migration.</summary>
    public void Require(bool passed, string ok, string problem)
    {
        if (!passed)
            ExitCode = ExitCode.Failed;
        Add(passed ? "ok" : "problem", passed ? ok : problem);
    }

    /// <summary>A check whose failure limits what migrations can do but blocks none.</summary>
    public void Recommend(bool passed, string ok, string warning) => Add(passed ? "ok" : "warning", passed ? ok : warning);

    /// <summary>Writes the JSON document when asked for one; the text lines went out as the checks ran.</summary>
    public void Finish()
    {
        if (!json)
            return;
        output.WriteLine(JsonOutput.Object(SchemaVersion, writer =>
        {
            writer.WriteBoolean("ready", ExitCode == ExitCode.Success);
            writer.WriteStartArray("checks");
            foreach (var (status, text) in _checks)
            {
                writer.WriteStartObject();
                writer.WriteString("status", status);
                writer.WriteString("text", text);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }, indented: true));
    }

    private void Add(string status, string text)
    {
        _checks.Add((status, text));
        if (!json)
            output.WriteLine($"{(status == "problem" ? "PROBLEM" : status),-8} {text}");
    }
}
