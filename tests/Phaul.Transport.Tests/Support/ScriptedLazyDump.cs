using Moq;
using Phaul.Rpc;

namespace Phaul.Transport.Tests.Support;

/// <summary>
/// A source CRIU dumping lazily: writes the given images into Wdir/final, sends the post-dump notification
/// (a failing one fails the dump), then serves pages until <see cref="Served"/> completes or it is killed
/// (its token cancelled), as CRIU's lazy page server does.
/// </summary>
internal sealed class ScriptedLazyDump
{
    private readonly string _wdir;

    public ScriptedLazyDump(string wdir)
    {
        _wdir = wdir;
        Criu.Setup(c => c.DumpAsync(It.IsAny<CriuOpts>(), It.IsAny<ICriuNotify?>(), It.IsAny<CancellationToken>()))
            .Returns<CriuOpts, ICriuNotify?, CancellationToken>(RunAsync);
    }

    public Mock<ICriu> Criu { get; } = new();

    public Dictionary<string, byte[]> Files { get; } = [];

    public CriuOpts? Options { get; private set; }

    public bool NotificationReturned { get; private set; }

    /// <summary>Runs as the dump starts, before it writes anything.</summary>
    public Action? Started { get; set; }

    /// <summary>Completing it ends the page serving successfully.</summary>
    public TaskCompletionSource Served { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the dump was killed (its token cancelled).</summary>
    public bool Killed { get; private set; }

    private async Task RunAsync(CriuOpts opts, ICriuNotify? notify, CancellationToken cancellationToken)
    {
        Options = opts;
        Started?.Invoke();
        var directory = Path.Combine(_wdir, "final");
        foreach (var (name, content) in Files)
            await File.WriteAllBytesAsync(Path.Combine(directory, name), content, cancellationToken);
        try
        {
            await notify!.PostDumpAsync();
        }
        catch (Exception e)
        {
            throw new CriuException(CriuReqType.Dump, "the post-dump notification failed", innerException: e);
        }
        NotificationReturned = true;
        try
        {
            await Served.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Killed = true;
            throw;
        }
    }
}
