using Moq;
using Phaul.Rpc;

namespace Phaul.Transport.Tests.Support;

/// <summary>
/// A source CRIU whose dump writes the given images (and its log) into Wdir/final, then sends the
/// post-dump notification; a failing notification fails the dump, as CRIU does.
/// </summary>
internal sealed class ScriptedDump
{
    private readonly string _wdir;

    public ScriptedDump(string wdir)
    {
        _wdir = wdir;
        Criu.Setup(c => c.DumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>(RunAsync);
    }

    public Mock<ICriu> Criu { get; } = new();

    public Dictionary<string, byte[]> Files { get; } = [];

    public bool Notify { get; init; } = true;

    /// <summary>What the dump's log holds when CRIU notifies post-dump.</summary>
    public string Log { get; init; } = "CRIU is still writing this";

    public Exception? Failure { get; init; }

    public CriuOpts? Options { get; private set; }

    public bool NotificationReturned { get; private set; }

    private async Task RunAsync(CriuOpts opts, ICriuNotify? notify, CancellationToken cancellationToken)
    {
        Options = opts;
        if (Failure is not null)
            throw Failure;
        var directory = Path.Combine(_wdir, "final");
        foreach (var (name, content) in Files)
            await File.WriteAllBytesAsync(Path.Combine(directory, name), content, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "dump.log"), Log, cancellationToken);
        if (!Notify)
            return;
        try
        {
            await notify!.PostDumpAsync();
        }
        catch (Exception e)
        {
            throw new CriuException(CriuReqType.Dump, "the post-dump notification failed", innerException: e);
        }
        NotificationReturned = true;
    }
}
