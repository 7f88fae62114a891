using System.Net;
using Phaul.Cli;

namespace Phaul.Cli.Tests.Commands;

/// <summary>Option values reach the commands as the typed values their records hold.</summary>
public class OptionBindingTests
{
    private static System.CommandLine.ParseResult Parse(params string[] args) =>
        Program.CreateRootCommand(TextWriter.Null, TextWriter.Null).Parse(args);

    [Fact]
    public void Migrate_binds_every_option()
    {
        var parsed = Parse("migrate", "--pid", "42", "--to", "[2001:db8::7]:9000", "-k", "key", "--strategy", "stop-and-copy", "--no-fallback",
                           "--json", "r.json", "--wdir", "/w", "--criu", "/c", "-v");

        Assert.Empty(parsed.Errors);
        Assert.Equal(42, parsed.GetValue<int>("--pid"));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 9000), parsed.GetValue<EndPoint>("--to"));
        Assert.Equal(MigrationStrategy.StopAndCopy, parsed.GetValue<MigrationStrategy>("--strategy"));
        Assert.True(parsed.GetValue<bool>("--no-fallback"));
        Assert.Equal(("key", "r.json", "/w", "/c"), (parsed.GetValue<string>("--key-file"), parsed.GetValue<string>("--json"),
                                                     parsed.GetValue<string>("--wdir"), parsed.GetValue<string>("--criu")));
        Assert.True(parsed.GetValue<bool>("--verbose"));
    }

    [Theory]
    [InlineData(null, MigrationStrategy.Auto)]
    [InlineData("auto", MigrationStrategy.Auto)]
    [InlineData("precopy", MigrationStrategy.PreCopy)]
    [InlineData("stop-and-copy", MigrationStrategy.StopAndCopy)]
    [InlineData("postcopy", MigrationStrategy.PostCopy)]
    [InlineData("hybrid", MigrationStrategy.Hybrid)]
    public void Strategy_names_map_to_the_strategy_choice(string? value, MigrationStrategy expected)
    {
        string[] args = ["migrate", "--pid", "1", "--to", "host.example", "-k", "key"];
        var parsed = Parse(value is null ? args : [.. args, "--strategy", value]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(expected, parsed.GetValue<MigrationStrategy>("--strategy"));
        Assert.False(parsed.GetValue<bool>("--no-fallback"));
    }

    [Fact]
    public void A_destination_host_name_without_a_port_gets_the_default_port()
    {
        var parsed = Parse("migrate", "--pid", "1", "--to", "dest.example", "-k", "key");

        Assert.Equal(new DnsEndPoint("dest.example", Transport.MigrationListenerOptions.DefaultPort), parsed.GetValue<EndPoint>("--to"));
    }

    [Fact]
    public void Serve_listens_on_loopback_unless_told_otherwise()
    {
        var defaulted = Parse("serve", "--wdir", "w", "-k", "key");
        var everywhere = Parse("serve", "--wdir", "w", "-k", "key", "--listen", "0.0.0.0:0");

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, Transport.MigrationListenerOptions.DefaultPort), defaulted.GetValue<IPEndPoint>("--listen"));
        Assert.Equal(new IPEndPoint(IPAddress.Any, 0), everywhere.GetValue<IPEndPoint>("--listen"));
    }

    [Fact]
    public void Serve_removes_restored_sessions_images_unless_told_to_keep_them()
    {
        Assert.False(Parse("serve", "--wdir", "w", "-k", "key").GetValue<bool>("--keep-images"));
        Assert.True(Parse("serve", "--wdir", "w", "-k", "key", "--keep-images").GetValue<bool>("--keep-images"));
        Assert.False(Parse("serve", "--wdir", "w", "-k", "key").GetValue<bool>("--keep-failed"));
        Assert.True(Parse("serve", "--wdir", "w", "-k", "key", "--keep-failed").GetValue<bool>("--keep-failed"));
    }

    [Fact]
    public void Demo_defaults_to_64_MiB()
    {
        Assert.Equal(64, Parse("demo").GetValue<int>("--memory"));
        Assert.Equal(8, Parse("demo", "-m", "8").GetValue<int>("--memory"));
    }
}
