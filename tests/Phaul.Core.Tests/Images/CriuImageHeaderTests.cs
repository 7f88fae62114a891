using Phaul.Rpc;

namespace Phaul.Core.Tests.Images;

public class CriuImageHeaderTests
{
    private const string Name = "test.img";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Inventory_HasOnlyItsOwnMagic()
    {
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Inventory, [new StatsEntry()]);

        await using var reader = await CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, CriuImageMagic.Inventory,
                                                                 cancellationToken: Ct);

        Assert.Null(reader.LeadingMagic);
        Assert.Equal(CriuImageMagic.Inventory, reader.Magic);
        Assert.Equal(sizeof(uint), reader.Position);
    }

    [Fact]
    public async Task EmptyFile_IsRejectedAsEmpty()
    {
        // Failure handled: a zero-byte file (e.g. CRIU died before writing it).
        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageReader.OpenAsync(new MemoryStream(), Name, cancellationToken: Ct));

        Assert.Equal(Name, error.FileName);
        Assert.Equal(0, error.Offset);
        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownFirstMagic_NamesTheAcceptedMagicsAndTheOneFound()
    {
        // Failure handled: a file that is not a CRIU image at all.
        var bytes = ImageBytes.Words(0xDEADBEEF, CriuImageMagic.Stats);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, cancellationToken: Ct));

        Assert.Equal(0, error.Offset);
        Assert.Contains("expected 0x54564319", error.Message, StringComparison.Ordinal);
        Assert.Contains("0x55105940", error.Message, StringComparison.Ordinal);
        Assert.Contains("found 0xDEADBEEF", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongLeadingMagicForTheExpectedImage_IsRejected()
    {
        // Failure handled: an ordinary image opened where a service file (stats) was expected.
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.Pstree, []);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, CriuImageMagic.Stats, cancellationToken: Ct));

        Assert.Equal(0, error.Offset);
        Assert.Contains("expected 0x55105940, found 0x54564319", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongImageMagic_NamesExpectedAndFound_AtOffsetFour()
    {
        // Failure handled: another service file (irmap cache) opened as stats.
        var bytes = await ImageBytes.WriteAsync(CriuImageMagic.IrmapCache, []);

        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageReader.OpenAsync(new MemoryStream(bytes), Name, CriuImageMagic.Stats, cancellationToken: Ct));

        Assert.Equal(4, error.Offset);
        Assert.Contains("expected 0x57093306, found 0x57004059", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HeaderCutAfterTheLeadingMagic_IsRejected()
    {
        // Failure handled: truncation between the two magics.
        var error = await Assert.ThrowsAsync<CriuImageFormatException>(
            () => CriuImageReader.OpenAsync(new MemoryStream(ImageBytes.Words(CriuImageMagic.Service)), Name, cancellationToken: Ct));

        Assert.Equal(4, error.Offset);
        Assert.Contains("ends after the leading magic", error.Message, StringComparison.Ordinal);
    }
}
