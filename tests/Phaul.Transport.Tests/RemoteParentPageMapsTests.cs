using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Rpc;
using Phaul.Transport.Protocol;
using Phaul.Transport.Tests.Support;

namespace Phaul.Transport.Tests;

/// <summary>The source's side of fetching the pre-dumps' page maps, against a scripted destination on loopback.</summary>
public sealed class RemoteParentPageMapsTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const int Iteration = 2;

    private readonly TempDirectory _dirs = new();
    private LoopbackPair? _pair;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_pages_file_sent_back_is_refused_before_a_byte_of_it_is_written()
    {
        // Failure handled: a destination that sends the pre-dump's pages (the whole memory) instead of its page map.
        var destination = _dirs.CreateSubdirectory("destination");
        await File.WriteAllBytesAsync(Path.Combine(destination, "pages-1.img"), new byte[8192], Ct);
        var source = _dirs.CreateSubdirectory("source");
        var (control, channel) = await ConnectAsync();

        var fetching = RemoteParentPageMaps.FetchChainAsync(control, source, Iteration, Ct);
        await AnswerAsync(channel, destination, "pages-*.img", files => new ParentPageMapsResult { FileCount = (uint)files.Files, TotalBytes = (ulong)files.Bytes });

        var error = await Assert.ThrowsAsync<TransportException>(() => fetching).WaitAsync(Patience, Ct);
        Assert.Equal((TransportSide.Destination, TransportPhase.ImageTransfer), (error.Side, error.Phase));
        Assert.Contains("the destination sent image file 'pages-1.img' of pre-dump 1 back, which is not a page map", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(source));
    }

    [Fact]
    public async Task A_result_that_names_other_files_than_those_received_fails_the_fetch()
    {
        // Failure handled: the destination's count disagrees with what arrived (a file lost or one too many).
        var destination = _dirs.CreateSubdirectory("destination");
        await CriuImageWriter.WriteFileAsync(Path.Combine(destination, "pagemap-1.img"), CriuImageMagic.Pagemap, [new PagemapHead { PagesId = 1 }], Ct);
        var source = _dirs.CreateSubdirectory("source");
        var (control, channel) = await ConnectAsync();

        var fetching = RemoteParentPageMaps.FetchChainAsync(control, source, Iteration, Ct);
        await AnswerAsync(channel, destination, "pagemap-*.img", files => new ParentPageMapsResult { FileCount = 2, TotalBytes = (ulong)files.Bytes });

        var error = await Assert.ThrowsAsync<TransportException>(() => fetching).WaitAsync(Patience, Ct);
        Assert.Contains("the destination sent 2 page maps", error.Message);
        Assert.Contains("the source received 1", error.Message);
        Assert.False(File.Exists(Path.Combine(source, "pages-1.img")));
    }

    private async Task<(SourceControl Control, FrameChannel Destination)> ConnectAsync()
    {
        _pair = await LoopbackPair.CreateAsync();
        return (new SourceControl(_pair.ClientChannel(), TransportTimeouts.Default, NullLogger.Instance, progress: null), _pair.ServerChannel());
    }

    /// <summary>As a destination would: takes the request for the last pre-dump, sends the files matching <paramref name="pattern"/>, then the result.</summary>
    private static async Task AnswerAsync(FrameChannel channel, string directory, string pattern, Func<TransferTotals, ParentPageMapsResult> result)
    {
        var request = await channel.ReceiveAsync(Envelope.BodyOneofCase.ParentPageMapsRequest, TransportPhase.AwaitingRequest, Patience, Ct);
        Assert.Equal(1U, request.ParentPageMapsRequest.Ancestor);
        var sent = await ImageSender.SendDirectoryAsync(channel, directory, pattern, Iteration, Ct);
        await channel.SendAsync(new Envelope { ParentPageMapsResult = result(sent) }, TransportPhase.ImageTransfer, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_pair is not null)
            await _pair.DisposeAsync();
        _dirs.Dispose();
    }
}
