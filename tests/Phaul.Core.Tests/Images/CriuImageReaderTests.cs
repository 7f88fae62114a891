using Google.Protobuf;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Images;

public class CriuImageReaderTests
{
    private const string Name = "test.img";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RoundTrip_ReadsTheHeaderAndEveryEntryTheWriterWrote()
    {
        IMessage[] written =
        [
            new StatsEntry { Dump = StatsSamples.Dump(pagesWritten: 7) },
            new StatsEntry { Restore = StatsSamples.Restore() },
            new StatsEntry(),
        ];
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Stats, written);

        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, CriuImageMagic.Stats,
                                                                 cancellationToken: Ct);
        var read = new List<StatsEntry>();
        await foreach (var entry in reader.ReadEntriesAsync(StatsEntry.Parser, Ct))
            read.Add(entry);

        Assert.Equal(CriuImageMagic.Service, reader.LeadingMagic);
        Assert.Equal(CriuImageMagic.Stats, reader.Magic);
        Assert.Equal(written, read);
        Assert.Equal(bytes.Length, reader.Position);
    }

    [Fact]
    public async Task OrdinaryImage_StartsWithTheCommonMagic_AndYieldsRawEntries()
    {
        var entry = new DumpStatsEntry { PagesScanned = 3 };
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Pstree, [entry, entry]);

        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);
        var raw = new List<byte[]>();
        await foreach (var payload in reader.ReadRawEntriesAsync(Ct))
            raw.Add(payload);

        Assert.Equal(CriuImageMagic.Common, reader.LeadingMagic);
        Assert.Equal(CriuImageMagic.Pstree, reader.Magic);
        Assert.Equal([entry.ToByteArray(), entry.ToByteArray()], raw);
    }

    [Fact]
    public async Task StreamThatDeliversOneByteAtATime_IsReadWhole()
    {
        var entry = new StatsEntry { Dump = StatsSamples.Dump(pagesWritten: 123456) };
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Stats, [entry]);

        await using var reader = await CriuImageReader.OpenAsync(new TrickleStream(bytes), Name, CriuImageMagic.Stats,
                                                                 cancellationToken: Ct);

        Assert.Equal(entry, await reader.ReadEntryAsync(StatsEntry.Parser, Ct));
        Assert.Null(await reader.ReadEntryAsync(StatsEntry.Parser, Ct));
    }

    [Fact]
    public async Task LengthBeyondTheMaximum_IsRejectedBeforeAllocating()
    {
        // Failure handled: a corrupt length word that would make the reader allocate 4 GiB.
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats, uint.MaxValue);
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadRawEntryAsync(Ct));

        Assert.Equal(8, error.Offset);
        Assert.Contains($"declares {uint.MaxValue} bytes, more than the maximum of {CriuImageReader.DefaultMaxEntrySize}",
                        error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxEntrySize_BoundsEachEntry()
    {
        // Failure handled: an entry larger than the caller's own bound.
        var fourByteEntry = new StatsEntry { Dump = new DumpStatsEntry { PagesWritten = 1 } };
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Stats, [fourByteEntry]);
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);
        reader.MaxEntrySize = 3;

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadRawEntryAsync(Ct));

        Assert.Contains("more than the maximum of 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxEntrySize_MustBePositive()
    {
        await using var reader = await CriuImageReader.OpenAsync(
            new MemoryStream(ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats)), Name, cancellationToken: Ct);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => reader.MaxEntrySize = 0);

        Assert.Equal(nameof(CriuImageReader.MaxEntrySize), error.ParamName);
    }

    [Fact]
    public async Task LengthBeyondTheEndOfTheFile_SaysHowMuchWasThere()
    {
        // Failure handled: the file ends inside an entry's payload.
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats, 100).Concat(new byte[10]).ToArray();
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadRawEntryAsync(Ct));

        Assert.Equal(8, error.Offset);
        Assert.Contains("entry 0 declares 100 bytes but the file ends after 10 of them", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LengthWordCutShort_IsRejected()
    {
        // Failure handled: the file ends inside a length prefix.
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats).Concat(new byte[] { 1, 0 }).ToArray();
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadRawEntryAsync(Ct));

        Assert.Equal(8, error.Offset);
        Assert.Contains("ends 2 byte(s) into the length of entry 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GarbageEntry_FailsToParse_WithTheProtobufErrorInside()
    {
        // Failure handled: an entry whose bytes are not the expected message.
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats, (uint)garbage.Length).Concat(garbage).ToArray();
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadEntryAsync(StatsEntry.Parser, Ct));

        Assert.Equal(8, error.Offset);
        Assert.Contains("entry 0 (5 bytes) is not a valid StatsEntry", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidProtocolBufferException>(error.InnerException);
    }

    [Fact]
    public async Task EntryMissingRequiredFields_FailsToParse()
    {
        // Failure handled: a dump section without its proto2-required fields (field 1, length 0).
        byte[] emptyDump = [0x0A, 0x00];
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats, (uint)emptyDump.Length).Concat(emptyDump).ToArray();
        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => reader.ReadEntryAsync(StatsEntry.Parser, Ct));

        Assert.Equal(8, error.Offset);
        Assert.Contains("is not a valid StatsEntry: required fields are missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_LeavesTheStreamOpenOnlyWhenAsked()
    {
        var bytes = ImageBytes.Words(CriuImageMagic.Service, CriuImageMagic.Stats);
        var kept = new MemoryStream(bytes);
        var closed = new MemoryStream(bytes);

        await (await CriuImageReader.OpenAsync(kept, Name, leaveOpen: true, cancellationToken: Ct)).DisposeAsync();
        (await CriuImageReader.OpenAsync(closed, Name, cancellationToken: Ct)).Dispose();

        Assert.True(kept.CanRead);
        Assert.False(closed.CanRead);
    }

    [Fact]
    public async Task OpenFile_OnAMissingFile_ThrowsFileNotFoundNamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), $"phaul-missing-{Guid.NewGuid():N}.img");

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => CriuImageReader.OpenFileAsync(path, cancellationToken: Ct));

        Assert.Equal(path, error.FileName);
    }
}
