using System.Globalization;

namespace Phaul.Benchmarks;

/// <summary>
/// What to measure: workload sizes, the methods, and how often each measurement runs (the table shows medians);
/// where to write the table as Markdown and the plot as PNG, if anywhere.
/// </summary>
internal sealed record BenchmarkOptions(IReadOnlyList<int> SizesMiB, int Repeat, string CriuPath, IReadOnlyList<Method> MethodsToRun,
                                        string? MarkdownPath, string? PlotPath)
{
    public static string Usage { get; } =
        "usage: Phaul.Benchmarks [--sizes MIB[,MIB...]] [--repeat N] [--methods KEY[,KEY...] | --transport-only] [--markdown FILE.md] [--plot FILE.png]\n" +
        "  as root; CRIU from $PHAUL_CRIU or PATH; default: --sizes 64,256 --repeat 3, every method\n" +
        "  --methods KEY,...  only these methods, in the table order below\n" +
        $"  --transport-only   only Phaul through its transport, TLS next to --insecure-plaintext (--methods {Keys(Methods.Transport)})\n" +
        "  --markdown FILE.md also write the tables of medians to FILE.md\n" +
        "  --plot FILE.png    also draw the medians in one PNG: downtime above, total time below, against memory size, log scales\n" +
        "methods, in table order:\n" +
        string.Join('\n', Methods.All.Select(method => $"  {method.Key,-18} {method.Name}"));

    /// <exception cref="ArgumentException">An argument is unknown or its value is invalid; the message names it.</exception>
    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        IReadOnlyList<int> sizes = [64, 256];
        var repeat = 3;
        IReadOnlyList<Method>? methods = null;
        string? markdown = null;
        string? plot = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--transport-only")
            {
                methods = Once(methods, Methods.Transport);
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
                case "--methods":
                    methods = Once(methods, Methods.WithKeys(value.Split(',')));
                    break;
                case "--markdown":
                    markdown = OutputFile("--markdown", value);
                    break;
                case "--plot":
                    plot = value.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
                        ? OutputFile("--plot", value)
                        : throw new ArgumentException($"--plot draws a PNG: give a file name ending in .png, got '{value}'.", nameof(args));
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{args[i]}'.", nameof(args));
            }
            i++;
        }
        var criu = Environment.GetEnvironmentVariable("PHAUL_CRIU");
        return new BenchmarkOptions(sizes, repeat, string.IsNullOrEmpty(criu) ? "criu" : criu, methods ?? Methods.All, markdown, plot);
    }

    // --methods and --transport-only both choose the methods: given together, or twice, one would silently win.
    private static IReadOnlyList<Method> Once(IReadOnlyList<Method>? chosen, IReadOnlyList<Method> methods) =>
        chosen is null ? methods : throw new ArgumentException("choose the methods once: --methods or --transport-only, not both or twice.", nameof(methods));

    private static string Keys(IEnumerable<Method> methods) => string.Join(',', methods.Select(method => method.Key));

    // Checked before the run, which can take an hour, rather than when the file is written at its end.
    private static string OutputFile(string option, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        return Directory.Exists(directory) ? path : throw new ArgumentException($"{option}: the directory of '{path}' does not exist.", nameof(path));
    }

    private static int Positive(string option, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option} takes positive whole numbers, got '{text}'.", nameof(text));
}
