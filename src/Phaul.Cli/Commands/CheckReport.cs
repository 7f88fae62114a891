namespace Phaul.Cli.Commands;

/// <summary>Prints one line per check: ok, a warning with its consequence, or a problem with its fix.</summary>
internal sealed class CheckReport(TextWriter output)
{
    public ExitCode ExitCode { get; private set; } = ExitCode.Success;

    /// <summary>A check that must pass for any migration.</summary>
    public void Require(bool passed, string ok, string problem)
    {
        if (passed)
        {
            output.WriteLine($"ok       {ok}");
            return;
        }
        output.WriteLine($"PROBLEM  {problem}");
        ExitCode = ExitCode.Failed;
    }

    /// <summary>A check whose failure limits what migrations can do but blocks none.</summary>
    public void Recommend(bool passed, string ok, string warning) =>
        output.WriteLine(passed ? $"ok       {ok}" : $"warning  {warning}");
}
