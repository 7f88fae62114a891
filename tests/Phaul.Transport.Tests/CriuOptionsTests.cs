using Google.Protobuf;
using Moq;
using Phaul.Rpc;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>
/// The CRIU options stated once on the source (<see cref="MigrationConnectionOptions.CriuOptions"/>) reach the final dump,
/// and what the restore needs of them reaches the destination's restore; the destination takes nothing else.
/// </summary>
public class CriuOptionsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CriuOpts Stated() => new()
    {
        TcpEstablished = true,
        FileLocks = true,
        LinkRemap = true,
        GhostLimit = 4 << 20,
        ConfigFile = "/etc/criu/source.conf",
        NetworkLock = CriuNetworkLockMethod.Nftables,
        External = { "veth[w0]:vtree@br0" },
    };

    [Fact]
    public async Task The_stated_options_reach_the_final_dump_and_their_restore_part_the_destinations_restore()
    {
        CriuOpts? restoredWith = null;
        await using var destination = new FakeDestination(TestKeys.Shared,
            configure: options => options with { ConfigureRestore = opts => opts.ShellJob = true });
        destination.Criu.Setup(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>((opts, notify, _) =>
            {
                restoredWith = opts.Clone();
                return GatedRestore.RunAsync(notify, 4242);
            });
        using var source = new TempDirectory();
        await using var connection = await destination.ConnectAsync(TestKeys.Shared, new MigrationConnectionOptions { CriuOptions = Stated() });
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };

        await connection.Remote.StartIterAsync(Ct);
        await connection.Local.DumpCopyRestoreAsync(dump.Criu.Object, new PhaulConfig { Pid = 77, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct);

        var dumped = dump.Options!;
        Assert.Equal((true, true, true, 4u << 20, "/etc/criu/source.conf", CriuNetworkLockMethod.Nftables),
                     (dumped.TcpEstablished, dumped.FileLocks, dumped.LinkRemap, dumped.GhostLimit, dumped.ConfigFile, dumped.NetworkLock));
        Assert.Equal(["veth[w0]:vtree@br0"], dumped.External);
        Assert.Equal((77, "dump.log", true), (dumped.Pid, dumped.LogFile, dumped.NotifyScripts)); // Phaul's own fields stay
        Assert.NotNull(restoredWith);
        Assert.Equal((true, true, CriuNetworkLockMethod.Nftables), (restoredWith.TcpEstablished, restoredWith.FileLocks, restoredWith.NetworkLock));
        Assert.Equal(["veth[w0]:vtree@br0"], restoredWith.External);
        Assert.Equal("restore.log", restoredWith.LogFile);
        Assert.True(restoredWith.ShellJob); // the destination's own ConfigureRestore still runs, after the source's
        // Dump-side options stay on the source: above all the configuration file, a path on the source.
        Assert.False(restoredWith.HasConfigFile);
        Assert.False(restoredWith.HasLinkRemap);
        Assert.False(restoredWith.HasGhostLimit);
        Assert.Contains("the restore takes the source's CRIU options: tcp_established, file_locks, external, network_lock", Assert.Single(destination.LoggerFactory.Messages(3060)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_destination_refuses_a_restore_option_outside_its_allow_list_and_the_tree_runs_on_at_the_source()
    {
        // Failure handled: a source holding the key (not Phaul's, or a newer one) asks the destination's CRIU to read a
        // configuration file of its choosing, which could name action scripts run as root there.
        await using var destination = new FakeDestination(TestKeys.Shared);
        using var source = new TempDirectory();
        var rogue = new MigrationConnectionOptions
        {
            UnfilteredRestoreOptions = new CriuOpts { TcpEstablished = true, ConfigFile = "/tmp/evil.conf", ExecCmd = { "/bin/sh" } },
        };
        await using var connection = await destination.ConnectAsync(TestKeys.Shared, rogue);
        var dump = new ScriptedDump(source.Path) { Files = { ["core-1.img"] = [1] } };
        await connection.Remote.StartIterAsync(Ct);

        var error = await Assert.ThrowsAsync<TransportException>(() => connection.Local.DumpCopyRestoreAsync(
            dump.Criu.Object, new PhaulConfig { Pid = 77, Memfd = connection.Memfd, Wdir = source.Path }, "", Ct));

        Assert.Equal((TransportSide.Destination, TransportPhase.Restore), (error.Side, error.Phase));
        Assert.Contains("CRIU options the destination does not take from a source: exec_cmd, config_file", error.Message, StringComparison.Ordinal);
        Assert.False(dump.NotificationReturned); // CRIU fails the dump and resumes the tree on the source
        Assert.Null(connection.Restored);
        destination.Criu.Verify(c => c.RestoreAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()), Times.Never);
        await connection.Remote.StopIterAsync(Ct);
    }

    [Theory]
    [InlineData("veth[w0]:vtree@br0", true)]
    [InlineData("mnt[/data]:data", true)]
    [InlineData("veth[w0]:a\nexec /bin/sh", false)] // a control character
    [InlineData("/bin/sh", false)]
    [InlineData("", false)]
    public void An_external_entry_must_be_KIND_ID_without_control_characters(string external, bool accepted)
    {
        var wire = new CriuOpts { External = { external } }.ToByteString();

        var received = RestoreOptionsWire.Accept(wire, out var refusal);

        Assert.Equal(accepted, received is not null);
        Assert.Equal(accepted, refusal.Length == 0);
    }

    [Fact]
    public void Fields_the_destination_does_not_know_are_refused_too()
    {
        // Failure handled: a newer source sends a CRIU option this destination's schema has no name for.
        var unknownField = new byte[] { (250 << 3) & 0x7f | 0x80, 250 >> 4, 1 }; // field 250, varint 1
        var wire = ByteString.CopyFrom([.. new CriuOpts { FileLocks = true }.ToByteArray(), .. unknownField]);

        Assert.Null(RestoreOptionsWire.Accept(wire, out var refusal));
        Assert.Contains("fields this destination does not know", refusal, StringComparison.Ordinal);
        Assert.NotNull(RestoreOptionsWire.Accept(new CriuOpts { FileLocks = true }.ToByteString(), out _));
        Assert.NotNull(RestoreOptionsWire.Accept(ByteString.Empty, out _)); // an older source's: no options
    }

    [Fact]
    public async Task Stated_options_that_set_what_Phaul_sets_itself_are_refused_before_connecting()
    {
        // Failure handled: a template that sets the pid or the page server would dump another tree or send pages elsewhere.
        var options = new MigrationConnectionOptions { CriuOptions = new CriuOpts { Pid = 1, TcpEstablished = true, Ps = new CriuPageServerInfo { Fd = 3 } } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => MigrationConnection.ConnectAsync(
            new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1), TestKeys.Shared, options, cancellationToken: Ct));

        Assert.Contains("MigrationConnectionOptions.CriuOptions sets pid, ps, which Phaul sets itself", error.Message, StringComparison.Ordinal);
    }
}
