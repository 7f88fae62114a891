using System.Runtime.ExceptionServices;
using Phaul.Rpc;

namespace Phaul.Transport;

/// <summary>
/// The final stage for a remote destination. CRIU dumps the frozen tree, sending its pages
/// through the destination's page server; on CRIU's post-dump notification, with the tree still
/// frozen, the other image files go to the destination, which restores them and answers. Only
/// then does the notification return and CRIU kill the tree on the source. If anything fails, the
/// notification throws, CRIU fails the dump and resumes the tree on the source. Post-copy:
/// <see cref="DumpCopyRestoreLazilyAsync"/>.
/// </summary>
internal sealed partial class RemoteRestoreLocal : IPhaulPostCopyLocal, IPhaulLocalOutcome, ICriuOptionsSource
{
    /// <summary>The final dump's directory under the source's Wdir.</summary>
    public const string FinalDumpDirectoryName = "final";

    /// <summary>CRIU's log of the final dump, in the final dump's directory.</summary>
    public const string DumpLogName = "dump.log";

    private readonly SourceControl _control;
    private readonly Action<CriuOpts>? _configureDump;
    private readonly MigrationConnectionOptions _options;
    private readonly HandOverResolver _resolver;

    public RemoteRestoreLocal(SourceControl control, MigrationConnectionOptions options, HandOverResolver resolver)
    {
        _control = control;
        _options = options;
        _resolver = resolver;
        _configureDump = options.ConfigureFinalDump;
    }

    /// <summary>The destination's answer once it restored the tree; <see langword="null"/> before.</summary>
    public RestoredTree? Restored { get; private set; }

    /// <inheritdoc/>
    public CriuOpts? CriuOptions => _options.CriuOptions;

    /// <inheritdoc/>
    public DumpStatistics? FinalDump { get; private set; }

    /// <inheritdoc/>
    public FreezeReport? Freeze { get; private set; }

    /// <inheritdoc/>
    public RestoreStatistics? Restore => Restored?.Stats;

    /// <inheritdoc/>
    public int? RestoredPid => Restored?.Pid;

    /// <inheritdoc/>
    /// <exception cref="TransportException">The dump, the transfer or the restore failed; the tree runs on the source.</exception>
    public async Task DumpCopyRestoreAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                                           CancellationToken cancellationToken = default)
    {
        var (iteration, dumpDirectory) = BeginFinalStage(criu, config, lastClientImagesPath, "StartIterAsync");
        using var directory = ImagesDirectory.Open(dumpDirectory);
        var opts = CreateDumpOptions(config, directory.Fd, dumpDirectory, lastClientImagesPath);
        _control.Logger.FinalDumpStarting(config.Pid, dumpDirectory, opts.HasParentImg ? opts.ParentImg : "none");

        var notify = new TransferOnPostDump(_control, dumpDirectory, iteration, config.Pid, _options.Dependencies.Trees,
                                            _options.HandOverHooks, _resolver, _options.RestoreOptionsOnWire,
                                            cancellationToken);
        try
        {
            await criu.DumpAsync(opts, notify, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (notify.Restored is not null)
        {
            // The destination runs the tree, and then the source's CRIU failed (e.g. it was killed): the copy it left
            // here is stopped, or frozen with a stop pending, and must not live on.
            var killed = _options.Dependencies.Trees.Kill(config.Pid);
            _control.Logger.SourceCopyKilledAfterHandOver(config.Pid, killed, e);
        }
        catch (Exception e) when (notify.Failure is null && e is not OperationCanceledException)
        {
            throw await DumpFailureAsync(e, iteration).ConfigureAwait(false);
        }
        catch when (notify.Failure is not null)
        {
            SettleSourceCopy(notify, config.Pid);
            // CRIU's error only says the notification failed; the transfer's error says why.
            ExceptionDispatchInfo.Throw(notify.Failure);
        }
        Restored = notify.Restored
                   ?? throw new TransportException(TransportSide.Source, TransportPhase.FinalDump,
                          "CRIU completed the final dump without a post-dump notification, so the images never reached the destination",
                          iteration);
        FinalDump = await TryReadDumpStatsAsync(dumpDirectory).ConfigureAwait(false);
        Freeze = notify.Phases is { } phases
            ? new FreezeReport
            {
                FreezeToImagesWritten = await DumpLogTimes.FreezeToPostDumpAsync(Path.Combine(dumpDirectory, DumpLogName)).ConfigureAwait(false),
                ImageTransfer = phases.ImageTransfer,
                Restore = phases.Restore,
                HandOver = phases.HandOver,
            }
            : null;
    }

    /// <summary>
    /// After a failed hand-over CRIU has resumed the source's copy, which stops at once if it was stopped for the commit:
    /// it continues when the destination's copy provably cannot run, and stays stopped when that is in doubt.
    /// </summary>
    private void SettleSourceCopy(TransferOnPostDump notify, int pid)
    {
        if (notify.Failure is HandOverInDoubtException doubt)
            _control.Logger.HandOverInDoubt(pid, doubt);
        else if (notify.SourceStopped)
        {
            var continued = _options.Dependencies.Trees.Continue(pid);
            _control.Logger.SourceContinuedAfterHandOver(pid, continued);
        }
    }

    // A dump fails when its page transfer breaks, e.g. because the destination went away: blame the
    // destination when it did.
    private async Task<TransportException> DumpFailureAsync(Exception failure, int iteration)
    {
        var destinationGone = await _control.ProbeDestinationGoneAsync().ConfigureAwait(false);
        return destinationGone is null
            ? new TransportException(TransportSide.Source, TransportPhase.FinalDump, FinalDumpFailed(failure),
                                     iteration, innerException: failure)
            : new TransportException(TransportSide.Destination, TransportPhase.FinalDump,
                                     $"{destinationGone}, and {FinalDumpFailed(failure)}", iteration,
                                     _control.Channel.PeerEndPoint, failure);
    }

    // A CriuException with a cause says itself that CRIU's dump failed, and leads with the cause.
    internal static string FinalDumpFailed(Exception failure) =>
        failure is CriuException { FirstError: not null } ? $"the source's {failure.Message}" : $"CRIU's final dump failed: {failure.Message}";

    // Statistics only inform the report: the tree has moved by now, so a bad file must not fail the migration.
    private async Task<DumpStatistics?> TryReadDumpStatsAsync(string dumpDirectory)
    {
        try
        {
            return DumpStatistics.FromCriu(await CriuImageStats.ReadDumpStatsAsync(dumpDirectory, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e) when (e is IOException or CriuImageFormatException or UnauthorizedAccessException)
        {
            _control.Logger.DumpStatsUnreadable(dumpDirectory, e.Message);
            return null;
        }
    }

    private CriuOpts CreateDumpOptions(PhaulConfig config, int imagesDirFd, string dumpDirectory, string lastClientImagesPath)
    {
        var opts = new CriuOpts
        {
            Pid = config.Pid,
            ImagesDirFd = imagesDirFd,
            LogFile = DumpLogName,
            LogLevel = 4,
            NotifyScripts = true,
            Ps = new CriuPageServerInfo { Fd = config.Memfd },
        };
        // A parent and memory tracking only when pre-dumps ran: the dump then writes only the pages
        // changed since the last pre-dump.
        if (lastClientImagesPath.Length > 0)
        {
            opts.ParentImg = Path.GetRelativePath(dumpDirectory, lastClientImagesPath);
            opts.TrackMem = true;
        }
        CriuOptionsTemplate.ApplyTo(opts, _options.CriuOptions);
        _configureDump?.Invoke(opts);
        return opts;
    }

    /// <summary>Checks the arguments, forgets the last outcome and creates the final dump's directory.</summary>
    private (int Iteration, string DumpDirectory) BeginFinalStage(ICriu criu, PhaulConfig config, string lastClientImagesPath, string start)
    {
        ArgumentNullException.ThrowIfNull(criu);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(lastClientImagesPath);
        (Restored, FinalDump, PostCopy, Freeze) = (null, null, null, null);
        var iteration = _control.CurrentIteration
                        ?? throw new InvalidOperationException($"The final dump needs an iteration started on the destination ({start}) first.");
        return (iteration, CreateDumpDirectory(config.Wdir, iteration));
    }

    private static string CreateDumpDirectory(string wdir, int iteration)
    {
        var path = Path.GetFullPath(Path.Combine(wdir, FinalDumpDirectoryName));
        if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any())
            throw new TransportException(TransportSide.Source, TransportPhase.FinalDump,
                $"the final dump directory '{path}' is not empty (a previous migration's?); use a fresh Wdir", iteration);
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
