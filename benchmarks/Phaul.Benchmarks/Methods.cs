namespace Phaul.Benchmarks;

/// <summary>The ways a workload is migrated: each strategy of Phaul next to the plain CRIU command line's.</summary>
internal static class Methods
{
    public static readonly Method PhaulStopAndCopy = new("inproc-sc", "Phaul stop-and-copy",
        (criu, size, cancel) => new PhaulInProcess(criu).MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel));

    public static readonly Method CliStopAndCopy = new("criu-sc", "CRIU CLI stop-and-copy (page server)",
        (criu, size, cancel) => new CriuCommandLine(criu).ThroughPageServerAsync(size, cancel));

    public static readonly Method CliStopAndCopySourceKept = new("criu-sc-kept", "CRIU CLI stop-and-copy (source kept until restored)",
        (criu, size, cancel) => new CriuCommandLine(criu).ThroughPageServerSourceKeptAsync(size, cancel));

    public static readonly Method CliDumpRestore = new("criu-dump-restore", "CRIU CLI dump + restore",
        (criu, size, cancel) => new CriuCommandLine(criu).DumpRestoreAsync(size, cancel));

    public static readonly Method PhaulPostCopy = new("inproc-pc", "Phaul post-copy",
        (criu, size, cancel) => new PhaulInProcess(criu).MeasureAsync(size, MigrationStrategy.PostCopy, cancel));

    public static readonly Method CliPostCopy = new("criu-pc", "CRIU CLI post-copy",
        (criu, size, cancel) => new CriuCommandLine(criu).PostCopyAsync(size, cancel));

    public static readonly Method TlsStopAndCopy = new("tls-sc", "transport TLS stop-and-copy",
        (criu, size, cancel) => new PhaulOverTransport(criu, plaintext: false).MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel));

    public static readonly Method PlainStopAndCopy = new("plain-sc", "transport plaintext stop-and-copy",
        (criu, size, cancel) => new PhaulOverTransport(criu, plaintext: true).MeasureAsync(size, MigrationStrategy.StopAndCopy, cancel));

    public static readonly Method TlsPostCopy = new("tls-pc", "transport TLS post-copy",
        (criu, size, cancel) => new PhaulOverTransport(criu, plaintext: false).MeasureAsync(size, MigrationStrategy.PostCopy, cancel));

    public static readonly Method PlainPostCopy = new("plain-pc", "transport plaintext post-copy",
        (criu, size, cancel) => new PhaulOverTransport(criu, plaintext: true).MeasureAsync(size, MigrationStrategy.PostCopy, cancel));

    public static readonly Method TlsAuto = new("tls-auto", "transport TLS auto",
        (criu, size, cancel) => new PhaulOverTransport(criu, plaintext: false).MeasureAsync(size, MigrationStrategy.Auto, cancel));

    // Static initializers run in textual order: the lists come after the methods they hold.

    /// <summary>Phaul through its network transport on loopback, encrypted and not, side by side (<c>--transport-only</c>).</summary>
    public static IReadOnlyList<Method> Transport { get; } = [TlsStopAndCopy, PlainStopAndCopy, TlsPostCopy, PlainPostCopy];

    /// <summary>Every method in table order.</summary>
    public static IReadOnlyList<Method> All { get; } =
        [PhaulStopAndCopy, CliStopAndCopy, CliStopAndCopySourceKept, CliDumpRestore, PhaulPostCopy, CliPostCopy, .. Transport, TlsAuto];

    /// <summary>The methods with these keys, in table order.</summary>
    /// <exception cref="ArgumentException">A key names no method; the message names it and the keys there are.</exception>
    public static IReadOnlyList<Method> WithKeys(IReadOnlyCollection<string> keys)
    {
        if (keys.FirstOrDefault(key => !All.Any(method => method.Key == key)) is { } unknown)
            throw new ArgumentException($"--methods: unknown method '{unknown}'; the methods are {string.Join(", ", All.Select(method => method.Key))}.", nameof(keys));
        return [.. All.Where(method => keys.Contains(method.Key))];
    }
}
