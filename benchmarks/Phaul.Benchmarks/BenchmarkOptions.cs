using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>What to measure: workload sizes and how often each measurement runs (the table shows medians).</summary>
internal sealed record BenchmarkOptions(IReadOnlyList<int> SizesMiB, int Repeat, string CriuPath, bool TransportOnly)
{
    public const string Usage =
        "usage: Phaul.Benchmarks [--sizes MIB[,MIB...]] [--repeat N] [--transport-only]   (as root; default --sizes 64,256 --repeat 3; CRIU from $PHAUL_CRIU or PATH;\n" +
        "--transport-only: only Phaul through its transport, TLS next to --insecure-plaintext)";

    /// <exception cref="ArgumentException">An argument is unknown or its value is invalid; the message names it.</exception>
    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        IReadOnlyList<int> sizes = [64, 256];
        var repeat = 3;
        var transportOnly = false;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--transport-only")
            {
                transportOnly = true;
                continue;
            }
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.", nameof(args));
            switch (args[i])
            {
                case "--sizes":
                    sizes = [.. value.Split(',').Select(size => Positive("--sizes", size))];
                    break;
                case "--repeat":
                    repeat = Positive("--repeat", value);
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'.", nameof(args));
            }
            i++;
        }
        var criu = Environment.GetEnvironmentVariable("PHAUL_CRIU");
        return new BenchmarkOptions(sizes, repeat, string.IsNullOrEmpty(criu) ? "criu" : criu, transportOnly);
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option} takes positive whole numbers, got '{text}'.", nameof(text));
}
