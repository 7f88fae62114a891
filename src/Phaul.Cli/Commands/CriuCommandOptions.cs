using System.CommandLine;
using Phaul.Cli.Parsing;
using Phaul.Rpc;

namespace Phaul.Cli.Commands;

/// <summary>
/// <c>phaul migrate</c>'s CRIU options, with CRIU's names and meanings, bound to one <see cref="CriuOpts"/> template that
/// the source's dumps get and whose restore part travels to the destination (<c>MigrationConnectionOptions.CriuOptions</c>).
/// </summary>
internal sealed class CriuCommandOptions
{
    private readonly Option<bool> _tcpEstablished = Flag("--tcp-established",
        "Migrate established TCP connections (CRIU's --tcp-established); the tree should have its own network namespace, so it keeps its address");

    private readonly Option<bool> _tcpClose = Flag("--tcp-close", "Do not migrate the state of connected TCP sockets: restore them closed (CRIU's --tcp-close)");

    private readonly Option<bool> _skipInFlight = Flag("--skip-in-flight",
        "Drop TCP connections still being established (half-open, in a listening socket's queue) instead of failing (CRIU's --skip-in-flight)");

    private readonly Option<bool> _fileLocks = Flag("--file-locks", "Migrate file locks (CRIU's --file-locks)");

    private readonly Option<bool> _extUnixSk = Flag("--ext-unix-sk", "Allow Unix sockets connected to a peer outside the tree (CRIU's --ext-unix-sk)");

    private readonly Option<bool> _shellJob = Flag("--shell-job", "The tree was started from a shell and shares its session or terminal (CRIU's --shell-job)");

    private readonly Option<bool> _linkRemap = Flag("--link-remap",
        "Dump open files that were deleted or have no name as temporary links (CRIU's --link-remap; dump side)");

    private readonly Option<uint> _ghostLimit = new("--ghost-limit")
    {
        Description = "Largest deleted-but-open file CRIU copies into the images (CRIU's --ghost-limit; K, M or G suffix; CRIU's default 1M)",
        HelpName = "SIZE",
        CustomParser = OptionParsers.Size,
    };

    private readonly Option<string[]> _external = new("--external")
    {
        Description = "An external resource, repeatable, as CRIU's --external: e.g. veth[IFNAME]:OUTNAME@BRIDGE plugs the tree's network " +
                      "namespace into BRIDGE on the destination with a new veth OUTNAME; mnt[KEY]:VALUE, dev[MAJ/MIN]:VALUE",
        HelpName = "RES",
        CustomParser = OptionParsers.External,
    };

    private readonly Option<CriuCgMode?> _manageCgroups = new("--manage-cgroups")
    {
        Description = "Dump and restore the tree's cgroups (CRIU's --manage-cgroups; MODE none, props, soft, full, strict or ignore, default soft)",
        HelpName = "MODE",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = OptionParsers.CgroupMode,
    };

    private readonly Option<CriuNetworkLockMethod?> _networkLock = new("--network-lock")
    {
        Description = "How CRIU locks the tree's network while it is frozen (CRIU's --network-lock; default iptables)",
        HelpName = "iptables|nftables|skip",
        CustomParser = OptionParsers.NetworkLock,
    };

    private readonly Option<uint> _emptyNs = new("--empty-ns")
    {
        Description = "Restore the tree's network namespace empty, without its interfaces, for the destination to set up (CRIU's --empty-ns net)",
        HelpName = "net",
        CustomParser = OptionParsers.EmptyNamespace,
    };

    private readonly Option<string?> _config = new("--criu-config")
    {
        Description = "A CRIU configuration file (CRIU's syntax: one option a line without '--'), read here on the source: it may hold the options " +
                      "above, which then act as if given here (those the restore needs reach the destination); options given here come after it",
        HelpName = "FILE",
    };

    public IEnumerable<Option> All => [.. CriuOptions, _config];

    /// <summary>The names a CRIU configuration file may use: CRIU's names of the options above, without "--".</summary>
    public IReadOnlyList<string> ConfigFileNames => [.. CriuOptions.Select(option => option.Name[2..])];

    private IEnumerable<Option> CriuOptions =>
        [_tcpEstablished, _tcpClose, _skipInFlight, _fileLocks, _extUnixSk, _shellJob, _linkRemap, _ghostLimit, _external, _manageCgroups, _networkLock,
         _emptyNs];

    /// <summary>The configuration file given (<c>--criu-config</c>), if any.</summary>
    public string? ConfigFile(ParseResult parse) => parse.GetValue(_config);

    /// <summary>The template the options describe; null when none was given.</summary>
    public CriuOpts? Bind(ParseResult parse)
    {
        var opts = new CriuOpts();
        SetIf(parse, _tcpEstablished, () => opts.TcpEstablished = true);
        SetIf(parse, _tcpClose, () => opts.TcpClose = true);
        SetIf(parse, _skipInFlight, () => opts.TcpSkipInFlight = true);
        SetIf(parse, _fileLocks, () => opts.FileLocks = true);
        SetIf(parse, _extUnixSk, () => opts.ExtUnixSk = true);
        SetIf(parse, _shellJob, () => opts.ShellJob = true);
        SetIf(parse, _linkRemap, () => opts.LinkRemap = true);
        if (parse.GetResult(_ghostLimit) is not null)
            opts.GhostLimit = parse.GetValue(_ghostLimit);
        opts.External.Add(parse.GetValue(_external) ?? []);
        if (parse.GetResult(_manageCgroups) is not null && parse.GetValue(_manageCgroups) is { } mode)
        {
            opts.ManageCgroups = true;
            if (mode != CriuCgMode.Default)
                opts.ManageCgroupsMode = mode;
        }
        if (parse.GetValue(_networkLock) is { } networkLock)
            opts.NetworkLock = networkLock;
        if (parse.GetResult(_emptyNs) is not null)
            opts.EmptyNs = parse.GetValue(_emptyNs);
        return opts.CalculateSize() == 0 ? null : opts;
    }

    private static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    private static void SetIf(ParseResult parse, Option<bool> flag, Action set)
    {
        if (parse.GetValue(flag))
            set();
    }
}
