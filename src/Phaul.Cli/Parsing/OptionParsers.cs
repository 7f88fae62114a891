using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;

namespace Phaul.Cli.Parsing;

/// <summary>Custom parsers for options whose values need more than a type conversion; errors name the option and the value.</summary>
internal static class OptionParsers
{
    public static int ProcessId(ArgumentResult result)
    {
        var text = Single(result);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 0)
            return pid;
        result.AddError($"{OptionName(result)} must be a process id (a number above 0), got '{text}'");
        return 0;
    }

    public static int MemoryMiB(ArgumentResult result)
    {
        const int max = 64 * 1024;
        var text = Single(result);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) && mib is > 0 and <= max)
            return mib;
        result.AddError($"{OptionName(result)} must be a size in MiB from 1 to {max}, got '{text}'");
        return 0;
    }

    public static EndPoint? Destination(ArgumentResult result)
    {
        var endPoint = EndPointSyntax.ParseDestination(Single(result), out var error);
        if (endPoint is null)
            result.AddError($"{OptionName(result)} {error}");
        return endPoint;
    }

    public static IPEndPoint? Listen(ArgumentResult result)
    {
        var endPoint = EndPointSyntax.ParseListen(Single(result), out var error);
        if (endPoint is null)
            result.AddError($"{OptionName(result)} {error}");
        return endPoint;
    }

    /// <summary>The names <c>--strategy</c> takes, each with the strategy it asks for.</summary>
    public static IReadOnlyDictionary<string, MigrationStrategy> StrategyNames { get; } = new Dictionary<string, MigrationStrategy>
    {
        ["auto"] = MigrationStrategy.Auto,
        ["precopy"] = MigrationStrategy.PreCopy,
        ["stop-and-copy"] = MigrationStrategy.StopAndCopy,
        ["postcopy"] = MigrationStrategy.PostCopy,
        ["hybrid"] = MigrationStrategy.Hybrid,
    };

    /// <summary>One of <see cref="StrategyNames"/>, as <c>--strategy</c> takes them.</summary>
    public static MigrationStrategy Strategy(ArgumentResult result)
    {
        var text = Single(result);
        if (StrategyNames.TryGetValue(text, out var strategy))
            return strategy;
        result.AddError($"{OptionName(result)} must be {string.Join(", ", StrategyNames.Keys)}; got '{text}'");
        return MigrationStrategy.Auto;
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
