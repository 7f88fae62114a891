using System.Text.RegularExpressions;

namespace Phaul.Cli.Parsing;

/// <summary>
/// CRIU's external resources as <c>--external</c> takes them: a kind, an id in brackets and optionally ':' and what
/// to map it to, printable characters only (the destination refuses anything else, so the source checks first).
/// </summary>
internal static partial class ExternalSyntax
{
    public static bool IsValid(string value) => Pattern().IsMatch(value);

    [GeneratedRegex(@"^[a-z]+\[[\x20-\x5c\x5e-\x7e]*\](:[\x20-\x7e]*)?$")]
    private static partial Regex Pattern();
}
