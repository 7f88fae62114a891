namespace Phaul.Core.Tests;

public class PublicSurfaceTests
{
    // Issue 12's budget for what embedders must learn: the generated CRIU RPC messages (Phaul.Rpc) aside;
    // issue 14 added FreezeReport, the stop-and-copy downtime's phases next to PostCopyReport, and MigrationForecast and
    // StrategyForecast, what auto measured and predicted.
    private const int MaxHandWrittenTypes = 48;

    [Fact]
    public void Phaul_Core_exports_at_most_the_budgeted_hand_written_types()
    {
        var handWritten = typeof(PhaulClient).Assembly.GetExportedTypes()
                                             .Where(type => type.Namespace != "Phaul.Rpc")
                                             .Select(type => type.FullName)
                                             .Order(StringComparer.Ordinal)
                                             .ToList();

        Assert.True(handWritten.Count <= MaxHandWrittenTypes,
                    $"{handWritten.Count} hand-written public types, budget {MaxHandWrittenTypes}: {string.Join(", ", handWritten)}");
    }
}
