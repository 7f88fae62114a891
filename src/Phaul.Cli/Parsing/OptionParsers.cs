using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using Phaul.Rpc;

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

    /// <summary>A number of pre-dumps, 1 to 1000.</summary>
    public static int Iterations(ArgumentResult result)
    {
        var text = Single(result);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count is > 0 and <= 1000)
            return count;
        result.AddError($"{OptionName(result)} must be a number of pre-dumps from 1 to 1000, got '{text}'");
        return 0;
    }

    /// <summary>A positive duration: a number with the unit ms, s or min (e.g. 300ms, 1.5s).</summary>
    public static TimeSpan? Duration(ArgumentResult result)
    {
        var text = Single(result);
        var (number, unit) = SplitUnit(text);
        double? scale = unit switch { "ms" => 1, "s" => 1000, "min" => 60_000, _ => null };
        if (scale is { } milliseconds && double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            && value > 0 && value * milliseconds <= TimeSpan.FromDays(1).TotalMilliseconds)
            return TimeSpan.FromMilliseconds(value * milliseconds);
        result.AddError($"{OptionName(result)} must be a positive duration with its unit (ms, s or min; e.g. 300ms, 1.5s), at most a day; got '{text}'");
        return null;
    }

    /// <summary>A size in bytes with an optional K, M or G suffix (binary, as CRIU reads it), at most 4 GiB - 1.</summary>
    public static uint Size(ArgumentResult result)
    {
        var text = Single(result);
        var (number, unit) = SplitUnit(text);
        int? shift = unit switch { "" => 0, "K" or "k" => 10, "M" or "m" => 20, "G" or "g" => 30, _ => null };
        if (shift is { } bits && ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value > 0 && value <= uint.MaxValue >> bits)
            return (uint)(value << bits);
        result.AddError($"{OptionName(result)} must be a size in bytes above 0, with an optional K, M or G suffix (e.g. 1M), below 4G; got '{text}'");
        return 0;
    }

    /// <summary>The names <c>--network-lock</c> takes, CRIU's.</summary>
    public static IReadOnlyDictionary<string, CriuNetworkLockMethod> NetworkLockNames { get; } = new Dictionary<string, CriuNetworkLockMethod>
    {
        ["iptables"] = CriuNetworkLockMethod.Iptables,
        ["nftables"] = CriuNetworkLockMethod.Nftables,
        ["skip"] = CriuNetworkLockMethod.Skip,
    };

    public static CriuNetworkLockMethod? NetworkLock(ArgumentResult result) => Named(result, NetworkLockNames);

    /// <summary>The modes <c>--manage-cgroups</c> takes, CRIU's.</summary>
    public static IReadOnlyDictionary<string, CriuCgMode> CgroupModeNames { get; } = new Dictionary<string, CriuCgMode>
    {
        ["none"] = CriuCgMode.CgNone,
        ["props"] = CriuCgMode.Props,
        ["soft"] = CriuCgMode.Soft,
        ["full"] = CriuCgMode.Full,
        ["strict"] = CriuCgMode.Strict,
        ["ignore"] = CriuCgMode.Ignore,
    };

    /// <summary>A mode of <see cref="CgroupModeNames"/>, or CRIU's default (<see cref="CriuCgMode.Default"/>) when the option has no value.</summary>
    public static CriuCgMode? CgroupMode(ArgumentResult result) =>
        result.Tokens.Count == 0 ? CriuCgMode.Default : Named(result, CgroupModeNames);

    /// <summary>CLONE_NEWNET, the one namespace CRIU's <c>--empty-ns</c> takes.</summary>
    public const uint EmptyNetworkNamespace = 0x40000000;

    public static uint EmptyNamespace(ArgumentResult result)
    {
        var text = Single(result);
        if (text == "net")
            return EmptyNetworkNamespace;
        result.AddError($"{OptionName(result)} must be net (the only namespace CRIU restores empty), got '{text}'");
        return 0;
    }

    /// <summary>Each value of a repeatable <c>--external</c>: CRIU's KIND[ID] or KIND[ID]:VALUE, printable.</summary>
    public static string[] External(ArgumentResult result)
    {
        var values = result.Tokens.Select(token => token.Value).ToArray();
        foreach (var value in values.Where(value => !ExternalSyntax.IsValid(value)))
            result.AddError($"{OptionName(result)} must be CRIU's KIND[ID] or KIND[ID]:VALUE (e.g. veth[eth0]:veth-out@br0, mnt[/data]:data), got '{value}'");
        return values;
    }

    private static T? Named<T>(ArgumentResult result, IReadOnlyDictionary<string, T> names) where T : struct
    {
        var text = Single(result);
        if (names.TryGetValue(text, out var value))
            return value;
        result.AddError($"{OptionName(result)} must be {string.Join(", ", names.Keys)}; got '{text}'");
        return null;
    }

    private static (string Number, string Unit) SplitUnit(string text)
    {
        var end = text.Length;
        while (end > 0 && char.IsAsciiLetter(text[end - 1]))
            end--;
        return (text[..end], text[end..]);
    }

    private static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
