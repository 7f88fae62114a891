namespace Phaul.Containers.Tests;

/// <summary>What a peer holding the key can send the container extension: checked before anything reaches a file or a shell.</summary>
public sealed class WireTests
{
    private static readonly ContainerWire.Interface Eth0 = new("eth0", "46:a0:7c:61:c2:79", 1500, ["10.88.0.10/24"]);

    [Fact]
    public void The_bridge_hook_sets_up_each_interface_and_route_as_the_source_had_them()
    {
        var network = new ContainerWire.Network([Eth0], [new ContainerWire.Route("default", "10.88.0.1", "eth0")]);

        var script = BridgeAttachment.Script("web", network, "br0");

        var host = BridgeAttachment.HostName("web", "eth0");
        Assert.Matches("^ph[0-9a-f]{12}$", host);
        Assert.Contains($"ip link add {host} type veth peer name eth0 netns \"$pid\"", script, StringComparison.Ordinal);
        Assert.Contains("inside ip link set eth0 address 46:a0:7c:61:c2:79 mtu 1500", script, StringComparison.Ordinal);
        Assert.Contains("inside ip addr add 10.88.0.10/24 dev eth0", script, StringComparison.Ordinal);
        Assert.Contains($"ip link set {host} master br0 mtu 1500 up", script, StringComparison.Ordinal);
        Assert.Contains("inside ip route add default via 10.88.0.1 dev eth0", script, StringComparison.Ordinal);
        Assert.Equal([("eth0", "10.88.0.10")], BridgeAttachment.Ipv4Addresses(network));
    }

    [Theory]
    [InlineData("eth0;reboot", "46:a0:7c:61:c2:79", "10.88.0.10/24", "'eth0;reboot' is not an interface name")]
    [InlineData("eth0", "46:a0:7c:61:c2:79 && reboot", "10.88.0.10/24", "is not eth0's MAC address")]
    [InlineData("eth0", "46:a0:7c:61:c2:79", "10.88.0.10/24$(reboot)", "is not eth0's address")]
    [InlineData("eth0", "46:a0:7c:61:c2:79", "fe80::1%eth0;reboot/64", "is not eth0's address")]
    public void A_value_that_is_not_what_it_claims_never_reaches_the_hook(string name, string mac, string address, string expected)
    {
        var network = new ContainerWire.Network([new ContainerWire.Interface(name, mac, 1500, [address])], []);

        var refused = Assert.Throws<InvalidDataException>(() => BridgeAttachment.Script("web", network, "br0"));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_or_an_mtu_that_is_not_one_is_refused()
    {
        var gateway = new ContainerWire.Network([Eth0], [new ContainerWire.Route("default", "10.88.0.1 dev lo; reboot", "eth0")]);
        var mtu = new ContainerWire.Network([Eth0 with { Mtu = 1 }], []);

        Assert.Contains("is not a gateway", Assert.Throws<InvalidDataException>(() => BridgeAttachment.Script("web", gateway, "br0")).Message,
                        StringComparison.Ordinal);
        Assert.Contains("eth0's MTU 1 is not one", Assert.Throws<InvalidDataException>(() => BridgeAttachment.Script("web", mtu, "br0")).Message,
                        StringComparison.Ordinal);
    }

    [Fact]
    public async Task Images_cross_as_plain_files_and_come_out_the_same()
    {
        using var from = new TempTree();
        using var to = new TempTree();
        await File.WriteAllBytesAsync(Path.Combine(from.Path, "pages-1.img"), [.. Enumerable.Range(0, 300_000).Select(i => (byte)i)], TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(Path.Combine(from.Path, "descriptors.json"), "[]", TestContext.Current.CancellationToken);
        using var stream = new MemoryStream();

        var sent = await ImageArchive.SendAsync(stream, from.Path, TestContext.Current.CancellationToken);
        stream.Position = 0;
        var received = await ImageArchive.ReceiveAsync(stream, to.Path, TestContext.Current.CancellationToken);

        Assert.Equal(new ImageArchive.Totals(2, 300_002), sent);
        Assert.Equal(sent, received);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(from.Path, "pages-1.img"), TestContext.Current.CancellationToken),
                     await File.ReadAllBytesAsync(Path.Combine(to.Path, "pages-1.img"), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("../escape.img", "is not a plain file name")]
    [InlineData("..", "is not a plain file name")]
    [InlineData("dir/inside.img", "is not a plain file name")]
    public async Task A_name_that_leaves_the_directory_is_refused_and_nothing_is_written(string name, string expected)
    {
        using var to = new TempTree();
        using var stream = new MemoryStream(Archive((name, [1, 2, 3])));

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => ImageArchive.ReceiveAsync(stream, to.Path, TestContext.Current.CancellationToken));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(to.Path)!, "escape.img"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(to.Path));
    }

    [Fact]
    public async Task A_file_sent_twice_or_cut_short_is_refused()
    {
        using var to = new TempTree();
        using var twice = new MemoryStream(Archive(("a.img", [1]), ("a.img", [2])));
        var cut = Archive(("b.img", [1, 2, 3, 4]));
        using var truncated = new MemoryStream(cut[..^3]);

        Assert.Contains("the file 'a.img' came twice", (await Assert.ThrowsAsync<InvalidDataException>(
            () => ImageArchive.ReceiveAsync(twice, to.Path, TestContext.Current.CancellationToken))).Message, StringComparison.Ordinal);
        Assert.Contains("b.img: the stream ended inside the file", (await Assert.ThrowsAsync<InvalidDataException>(
            () => ImageArchive.ReceiveAsync(truncated, to.Path, TestContext.Current.CancellationToken))).Message, StringComparison.Ordinal);
    }

    // The archive's format, written by hand so that a test can send what SendAsync never would.
    private static byte[] Archive(params (string Name, byte[] Bytes)[] files)
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        foreach (var (name, bytes) in files)
        {
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
            writer.Write((ushort)nameBytes.Length);
            writer.Write(nameBytes);
            writer.Write((long)bytes.Length);
            writer.Write(bytes);
        }
        writer.Write((ushort)0);
        return buffer.ToArray();
    }

    private sealed class TempTree : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("phaul-wire-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
