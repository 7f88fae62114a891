using System.Security.Cryptography;
using Google.Protobuf;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

public class ImageTransferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Every_image_file_arrives_intact_and_nothing_else()
    {
        using var dirs = new TempDirectory();
        var source = dirs.CreateSubdirectory("source");
        var destination = dirs.CreateSubdirectory("destination");
        var big = RandomNumberGenerator.GetBytes(TransportProtocol.FileChunkLength * 2 + 17);
        File.WriteAllBytes(Path.Combine(source, "pages-1.img"), big);
        File.WriteAllBytes(Path.Combine(source, "empty.img"), []);
        File.WriteAllText(Path.Combine(source, "pstree.img"), "tree");
        File.WriteAllText(Path.Combine(source, "dump.log"), "still being written");
        File.WriteAllText(Path.Combine(source, "stats-dump"), "the source's report reads it");
        File.CreateSymbolicLink(Path.Combine(source, "parent"), "../0");
        File.CreateSymbolicLink(Path.Combine(source, "link.img"), "pstree.img");
        Directory.CreateDirectory(Path.Combine(source, "subdir.img"));
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);

        var sending = ImageSender.SendDirectoryAsync(pair.ClientChannel(), source, 1, CancellationToken.None);
        for (var i = 0; i < 3; i++)
            await ReceiveNextAsync(pair, receiver, destination);
        var totals = await sending;

        Assert.Equal(new TransferTotals(3, big.Length + 4), totals);
        Assert.Equal((3, big.Length + 4L), (receiver.Files, receiver.Bytes));
        Assert.Equal(["empty.img", "pages-1.img", "pstree.img"], Directory.GetFileSystemEntries(destination).Select(Path.GetFileName).Order());
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(destination, "pages-1.img")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(destination, "pstree.img")));
    }

    [Fact]
    public async Task A_corrupted_chunk_fails_the_SHA256_check_and_the_file_is_deleted()
    {
        // Failure handled: bytes changed on the way (or a lying sender); restoring them could run anything.
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);
        var sender = pair.ClientChannel();
        var original = RandomNumberGenerator.GetBytes(1000);
        var corrupted = (byte[])original.Clone();
        corrupted[500] ^= 0x40;

        await SendAsync(sender, "core-1.img", original.Length, [corrupted], SHA256.HashData(original));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Equal(TransportPhase.ImageTransfer, error.Phase);
        Assert.Contains("image file 'core-1.img' failed its SHA-256 check", error.Message);
        Assert.Contains(Convert.ToHexStringLower(SHA256.HashData(original)), error.Message);
        Assert.False(File.Exists(dirs.Combine("core-1.img")));
        Assert.Equal(0, receiver.Files);
    }

    [Fact]
    public async Task A_file_over_the_size_bound_is_refused_before_anything_is_written()
    {
        // Failure handled: a peer announcing a file big enough to fill the destination's disk.
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), new ImageTransferLimits { MaxFileBytes = 100 }, Timeout);

        await SendAsync(pair.ClientChannel(), "core-1.img", 101, [], []);

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("has 101 bytes, more than the limit of 100 bytes per file", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dirs.Path));
    }

    [Fact]
    public async Task Files_over_the_total_bound_are_refused()
    {
        // Failure handled: many files that each pass the per-file bound.
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), new ImageTransferLimits { MaxFileBytes = 100, MaxTotalBytes = 150 }, Timeout);
        var sender = pair.ClientChannel();
        var data = new byte[80];

        await SendAsync(sender, "a.img", data.Length, [data], SHA256.HashData(data));
        await ReceiveNextAsync(pair, receiver, dirs.Path);
        await SendAsync(sender, "b.img", data.Length, [data], SHA256.HashData(data));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("would bring the session to 160 bytes, more than the limit of 150", error.Message);
        Assert.False(File.Exists(dirs.Combine("b.img")));
    }

    [Fact]
    public async Task Files_over_the_count_bound_are_refused()
    {
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), new ImageTransferLimits { MaxFiles = 1 }, Timeout);
        var sender = pair.ClientChannel();

        await SendAsync(sender, "a.img", 0, [], SHA256.HashData([]));
        await ReceiveNextAsync(pair, receiver, dirs.Path);
        await SendAsync(sender, "b.img", 0, [], SHA256.HashData([]));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("limit of 1 files per session", error.Message);
    }

    [Fact]
    public async Task More_data_than_announced_is_refused()
    {
        // Failure handled: a sender whose chunks overrun the size it announced (and was checked against).
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);

        await SendAsync(pair.ClientChannel(), "core-1.img", 10, [new byte[11]], []);

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("got more data than its announced 10 bytes", error.Message);
        Assert.False(File.Exists(dirs.Combine("core-1.img")));
    }

    [Fact]
    public async Task An_empty_chunk_is_refused()
    {
        // Failure handled: a peer sending empty chunks, each of which restarted the wait for the next message
        // without bringing the file closer to its end: the transfer never ended.
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, TimeSpan.FromMilliseconds(200));

        await SendAsync(pair.ClientChannel(), "core-1.img", 10, [[], [], []], null);

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("image file 'core-1.img' got an empty chunk after 0 of its 10 bytes", error.Message);
        Assert.False(File.Exists(dirs.Combine("core-1.img")));
    }

    [Fact]
    public async Task A_file_name_with_a_path_is_refused_and_nothing_is_written_outside()
    {
        // Failure handled: a path traversal attempt through the file name.
        using var dirs = new TempDirectory();
        var inner = dirs.CreateSubdirectory("iteration");
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);

        await SendAsync(pair.ClientChannel(), "../escaped.img", 0, [], SHA256.HashData([]));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, inner));
        Assert.Contains("path separator", error.Message);
        Assert.False(File.Exists(dirs.Combine("escaped.img")));
    }

    // Failure handled: a file the session's clean-up would leave, as it removes image files (*.img) only: a peer
    // could fill the disk across sessions. CRIU's images all end in .img; its logs and statistics are never sent.
    [Fact]
    public async Task A_file_whose_name_does_not_end_in_img_is_refused_before_anything_is_written()
    {
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);

        await SendAsync(pair.ClientChannel(), "stats-dump", 3, [[1, 2, 3]], SHA256.HashData([1, 2, 3]));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("image file name 'stats-dump' does not end in '.img'", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dirs.Path));
    }

    [Fact]
    public async Task An_existing_file_is_never_overwritten()
    {
        // Failure handled: a name clash with a file the page server wrote into the same directory.
        using var dirs = new TempDirectory();
        File.WriteAllText(dirs.Combine("pagemap-1.img"), "from the page server");
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, Timeout);

        await SendAsync(pair.ClientChannel(), "pagemap-1.img", 0, [], SHA256.HashData([]));

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Equal(TransportSide.Destination, error.Side);
        Assert.Contains("cannot create image file 'pagemap-1.img'", error.Message);
        Assert.Equal("from the page server", File.ReadAllText(dirs.Combine("pagemap-1.img")));
    }

    [Fact]
    public async Task A_sender_that_stops_mid_file_times_out()
    {
        // Failure handled: the source hangs (or its host dies) in the middle of a file.
        using var dirs = new TempDirectory();
        await using var pair = await LoopbackPair.CreateAsync();
        var receiver = new ImageReceiver(pair.ServerChannel(), ImageTransferLimits.Default, TimeSpan.FromMilliseconds(200));

        await SendAsync(pair.ClientChannel(), "core-1.img", 10, [new byte[4]], null);

        var error = await Assert.ThrowsAnyAsync<TransportException>(() => ReceiveNextAsync(pair, receiver, dirs.Path));
        Assert.Contains("no message from the source within 0.2 s", error.Message);
        Assert.False(File.Exists(dirs.Combine("core-1.img")));
    }

    private static async Task ReceiveNextAsync(LoopbackPair pair, ImageReceiver receiver, string directory)
    {
        var header = await pair.ServerChannel().ReceiveAsync(Envelope.BodyOneofCase.FileHeader, TransportPhase.ImageTransfer, Timeout, CancellationToken.None);
        await receiver.ReceiveAsync(header.FileHeader, directory, 1, CancellationToken.None);
    }

    /// <summary>Plays a sender that says whatever the test wants: header, chunks, and a trailer unless null.</summary>
    private static async Task SendAsync(FrameChannel sender, string name, long size, byte[][] chunks, byte[]? sha256)
    {
        await sender.SendAsync(new Envelope { FileHeader = new FileHeader { Name = name, Size = (ulong)size } }, TransportPhase.ImageTransfer, CancellationToken.None);
        foreach (var chunk in chunks)
            await sender.SendAsync(new Envelope { FileChunk = new FileChunk { Data = ByteString.CopyFrom(chunk) } }, TransportPhase.ImageTransfer, CancellationToken.None);
        if (sha256 is not null)
            await sender.SendAsync(new Envelope { FileEnd = new FileEnd { Sha256 = ByteString.CopyFrom(sha256) } }, TransportPhase.ImageTransfer, CancellationToken.None);
    }
}
