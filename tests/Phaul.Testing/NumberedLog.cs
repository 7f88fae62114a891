using System.Globalization;
using Xunit;

namespace Phaul.Testing;

/// <summary>The demo workload's append file: lines "1", "2", ... with no gap and no duplicate.</summary>
public static class NumberedLog
{
    public static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Asserts the text is exactly the lines 1..N and returns N.</summary>
    public static int AssertNumbered(string text)
    {
        var lines = Lines(text);
        Assert.Equal(Enumerable.Range(1, lines.Count).Select(n => n.ToString(CultureInfo.InvariantCulture)), lines);
        return lines.Count;
    }
}
