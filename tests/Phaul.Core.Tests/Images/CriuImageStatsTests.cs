using Google.Protobuf;
using Phaul.Rpc;

namespace Phaul.Core.Tests.Images;

public sealed class CriuImageStatsTests : IDisposable
{
    private static readonly DumpStatsEntry SampleDump = StatsSamples.Dump();
    private static readonly RestoreStatsEntry SampleRestore = StatsSamples.Restore();

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("phaul-stats-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task DumpStats_RoundTripThroughStatsDump()
    {
        await WriteStatsAsync(CriuImageStats.DumpFileName, new StatsEntry { Dump = SampleDump });

        var stats = await CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct);

        Assert.Equal(SampleDump, stats);
    }

    [Fact]
    public async Task RestoreStats_RoundTripThroughStatsRestore()
    {
        await WriteStatsAsync(CriuImageStats.RestoreFileName, new StatsEntry { Restore = SampleRestore });

        var stats = await CriuImageStats.ReadRestoreStatsAsync(_dir.FullName, Ct);

        Assert.Equal(SampleRestore, stats);
    }

    [Fact]
    public async Task StatsDumpTruncatedAtAnyByte_IsRejectedWithAnOffsetInsideTheFile()
    {
        // Failure handled: a stats file cut short anywhere (header, length prefix, entry).
        var whole = await ImageBytes.WriteAsync(CriuImageMagic.Stats, [new StatsEntry { Dump = SampleDump }]);

        for (var length = 0; length < whole.Length; length++)
        {
            var name = $"stats-dump[..{length}]";
            var error = await Assert.ThrowsAsync<CriuImageFormatException>(
                () => CriuImageStats.ReadDumpStatsAsync(new MemoryStream(whole[..length]), name, Ct));
            Assert.Equal(name, error.FileName);
            Assert.InRange(error.Offset, 0, length);
        }
    }

    [Fact]
    public async Task HeaderWithoutAnEntry_SaysTheStatsEntryIsMissing()
    {
        // Failure handled: CRIU wrote the header and nothing else.
        await WriteStatsAsync(CriuImageStats.DumpFileName);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct));

        Assert.Equal(Path.Combine(_dir.FullName, CriuImageStats.DumpFileName), error.FileName);
        Assert.Equal(8, error.Offset);
        Assert.Contains("expected a stats entry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsDumpHoldingRestoreStatistics_IsRejected()
    {
        // Failure handled: the entry has the other section only.
        await WriteStatsAsync(CriuImageStats.DumpFileName, new StatsEntry { Restore = SampleRestore });

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct));

        Assert.Contains("holds no dump statistics", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsRestoreHoldingDumpStatistics_IsRejected()
    {
        // Failure handled: the entry has the other section only.
        await WriteStatsAsync(CriuImageStats.RestoreFileName, new StatsEntry { Dump = SampleDump });

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => CriuImageStats.ReadRestoreStatsAsync(_dir.FullName, Ct));

        Assert.Contains("holds no restore statistics", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondEntry_IsRejected()
    {
        // Failure handled: trailing data after the one entry CRIU writes.
        var entry = new StatsEntry { Dump = SampleDump };
        var whole = await ImageBytes.WriteAsync(CriuImageMagic.Stats, [entry, entry]);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageStats.ReadDumpStatsAsync(new MemoryStream(whole), CriuImageStats.DumpFileName, Ct));

        Assert.Equal(8 + sizeof(uint) + entry.CalculateSize(), error.Offset);
        Assert.Contains("unexpected data after the stats entry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrdinaryImageInPlaceOfStats_IsRejectedAsBadMagic()
    {
        // Failure handled: a file of another kind under the stats name.
        await CriuImageWriter.WriteFileAsync(Path.Combine(_dir.FullName, CriuImageStats.DumpFileName), CriuImageMagic.Core,
                                             [new StatsEntry { Dump = SampleDump }], Ct);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(() => CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct));

        Assert.Contains("bad leading magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingStatsFile_ThrowsFileNotFoundNamingThePath()
    {
        // Failure handled: no dump finished in this directory.
        var path = Path.Combine(_dir.FullName, CriuImageStats.DumpFileName);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => CriuImageStats.ReadDumpStatsAsync(_dir.FullName, Ct));

        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingImagesDirectory_ThrowsFileNotFoundNamingThePath()
    {
        // Failure handled: the images directory itself is gone.
        var dir = Path.Combine(_dir.FullName, "no-such-dir");
        var path = Path.Combine(dir, CriuImageStats.RestoreFileName);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => CriuImageStats.ReadRestoreStatsAsync(dir, Ct));

        Assert.Equal(path, error.FileName);
    }

    [Fact]
    public async Task EmptyImagesDir_IsAnArgumentError()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => CriuImageStats.ReadDumpStatsAsync("", Ct));

        Assert.Equal("imagesDir", error.ParamName);
    }

    private Task WriteStatsAsync(string fileName, params IMessage[] entries) =>
        CriuImageWriter.WriteFileAsync(Path.Combine(_dir.FullName, fileName), CriuImageMagic.Stats, entries, Ct);
}
