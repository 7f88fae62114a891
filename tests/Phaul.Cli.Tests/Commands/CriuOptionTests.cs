using System.CommandLine;
using Phaul.Cli.Commands;
using Phaul.Cli.Migration;
using Phaul.Cli.Tests.Support;
using Phaul.Rpc;

namespace Phaul.Cli.Tests.Commands;

/// <summary><c>phaul migrate</c>'s CRIU options bind to one CRIU options template with CRIU's meanings; bad values are named.</summary>
public class CriuOptionTests
{
    private static CriuOpts? Bind(params string[] args)
    {
        var options = new CriuCommandOptions();
        var command = new RootCommand();
        foreach (var option in options.All)
            command.Options.Add(option);
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return options.Bind(parsed);
    }

    [Fact]
    public void Every_option_sets_the_CRIU_field_of_the_same_name()
    {
        var opts = Bind("--tcp-established", "--tcp-close", "--skip-in-flight", "--file-locks", "--ext-unix-sk", "--shell-job", "--link-remap",
                        "--ghost-limit", "2M", "--external", "veth[w0]:vtree@br0", "--external", "mnt[/data]:data", "--manage-cgroups=full",
                        "--network-lock", "nftables", "--empty-ns", "net")!;

        Assert.Equal((true, true, true, true, true, true, true), (opts.TcpEstablished, opts.TcpClose, opts.TcpSkipInFlight, opts.FileLocks,
                                                                opts.ExtUnixSk, opts.ShellJob, opts.LinkRemap));
        Assert.Equal(2u << 20, opts.GhostLimit);
        Assert.Equal(["veth[w0]:vtree@br0", "mnt[/data]:data"], opts.External);
        Assert.Equal((true, CriuCgMode.Full), (opts.ManageCgroups, opts.ManageCgroupsMode));
        Assert.Equal(CriuNetworkLockMethod.Nftables, opts.NetworkLock);
        Assert.Equal(0x40000000u, opts.EmptyNs); // CLONE_NEWNET
        Assert.False(opts.HasConfigFile); // Phaul reads --criu-config itself: CRIU would let it override Phaul's own settings
    }

    [Fact]
    public void No_option_is_no_template_and_a_bare_manage_cgroups_leaves_the_mode_to_CRIU()
    {
        Assert.Null(Bind());
        var opts = Bind("--manage-cgroups")!;
        Assert.True(opts.ManageCgroups);
        Assert.False(opts.HasManageCgroupsMode);
        Assert.False(opts.HasNetworkLock); // CRIU's default stays CRIU's
        Assert.Equal((1024u, 3u << 30), (Bind("--ghost-limit", "1K")!.GhostLimit, Bind("--ghost-limit", "3G")!.GhostLimit));
    }

    [Theory]
    [InlineData("--network-lock", "ebtables", "--network-lock must be iptables, nftables, skip; got 'ebtables'")]
    [InlineData("--manage-cgroups", "hard", "--manage-cgroups must be none, props, soft, full, strict, ignore; got 'hard'")]
    [InlineData("--ghost-limit", "4G", "--ghost-limit must be a size in bytes above 0, with an optional K, M or G suffix (e.g. 1M), below 4G; got '4G'")]
    [InlineData("--ghost-limit", "1T", "--ghost-limit must be a size in bytes above 0")]
    [InlineData("--empty-ns", "pid", "--empty-ns must be net (the only namespace CRIU restores empty), got 'pid'")]
    [InlineData("--external", "/bin/sh", "--external must be CRIU's KIND[ID] or KIND[ID]:VALUE")]
    [InlineData("--max-iterations", "0", "--max-iterations must be a number of pre-dumps from 1 to 1000, got '0'")]
    [InlineData("--downtime-target", "300", "--downtime-target must be a positive duration with its unit (ms, s or min; e.g. 300ms, 1.5s), at most a day; got '300'")]
    [InlineData("--downtime-target", "-1s", "--downtime-target must be a positive duration")]
    public async Task A_bad_value_exits_2_naming_the_option(string option, string value, string message)
    {
        var result = await PhaulCli.RunAsync("migrate", "--pid", "1", "--to", "192.0.2.7:7480", "--key-file", "/nonexistent/key", option, value);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task A_missing_criu_config_file_exits_2_naming_it()
    {
        using var dir = new TempDirectory();
        var key = TwoHostCli.NewKey(dir);
        var missing = dir.File("missing.conf");

        var result = await PhaulCli.RunAsync("migrate", "--pid", $"{Environment.ProcessId}", "--to", "192.0.2.7", "--key-file", key, "--criu-config", missing);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"--criu-config {missing}: no such file", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_CRIU_configuration_file_is_read_in_CRIUs_syntax_and_the_command_line_comes_after_it()
    {
        using var dir = new TempDirectory();
        var config = dir.File("criu.conf");
        File.WriteAllLines(config, ["# the tree's network", "tcp-established", "  external \"veth[w0]:vtree@br0\"  # plugged in on the destination",
                                    "", "--file-locks", "network-lock iptables", "ghost-limit 1M"]);
        var fromCommandLine = new CriuOpts { NetworkLock = CriuNetworkLockMethod.Nftables, External = { "mnt[/data]:data" } };

        var opts = new MigrationTuning(fromCommandLine, null, null, config).WithConfigFileRead(out var error)!.CriuOptions!;

        Assert.Equal("", error);
        Assert.Equal((true, true, 1u << 20), (opts.TcpEstablished, opts.FileLocks, opts.GhostLimit));
        Assert.Equal(CriuNetworkLockMethod.Nftables, opts.NetworkLock); // the command line wins
        Assert.Equal(["veth[w0]:vtree@br0", "mnt[/data]:data"], opts.External);
    }

    [Theory]
    [InlineData("action-script /tmp/x.sh", "line 2: 'action-script' is not a CRIU option phaul migrate takes (it takes tcp-established, tcp-close")]
    [InlineData("network-lock ebtables", "line 2: --network-lock must be iptables, nftables, skip; got 'ebtables'")]
    [InlineData("external \"veth[w0]", "line 2: a double quote is not closed")]
    public async Task A_bad_line_in_the_CRIU_configuration_file_exits_2_naming_the_file_and_line(string line, string message)
    {
        // Failure handled: an option phaul cannot pass on (CRIU would run the script as root), a bad value, broken quoting.
        using var dir = new TempDirectory();
        var key = TwoHostCli.NewKey(dir);
        var config = dir.File("criu.conf");
        File.WriteAllLines(config, ["tcp-established", line]);

        var result = await PhaulCli.RunAsync("migrate", "--pid", $"{Environment.ProcessId}", "--to", "192.0.2.7", "--key-file", key, "--criu-config", config);

        Assert.Equal(ExitCode.BadInput, result.ExitCode);
        Assert.Contains($"phaul migrate: --criu-config {config}, {message}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_loops_limits_reach_the_client_options_and_leave_the_rest_at_their_defaults()
    {
        var defaults = new PhaulClientOptions();

        var tuned = new MigrationTuning(null, 3, TimeSpan.FromMilliseconds(300)).ApplyTo(defaults);
        var untouched = new MigrationTuning(null, null, null).ApplyTo(defaults);

        Assert.Equal((3, TimeSpan.FromMilliseconds(300)), (tuned.MaxIterations, tuned.DowntimeTarget));
        Assert.Equal(defaults, untouched);
    }

    [Fact]
    public async Task Help_lists_every_option_with_CRIUs_names()
    {
        var help = (await PhaulCli.RunAsync("migrate", "--help")).Stdout;

        foreach (var name in new[] { "--tcp-established", "--tcp-close", "--skip-in-flight", "--file-locks", "--ext-unix-sk", "--shell-job", "--link-remap",
                                     "--ghost-limit", "--external", "--manage-cgroups", "--network-lock", "--empty-ns", "--criu-config",
                                     "--max-iterations", "--downtime-target" })
            Assert.Contains(name, help, StringComparison.Ordinal);
    }
}
