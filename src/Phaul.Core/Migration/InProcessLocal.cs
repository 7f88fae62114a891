using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The final stage when the <see cref="PhaulServer"/> lives in the same process as the client: dumps
/// the tree through the server's page server, and on CRIU's post-dump notification (tree frozen,
/// images written) links the dump's images into <see cref="PhaulServer.LastImagesDir"/> and restores
/// them with the server's <see cref="PhaulServer.Criu"/>. If anything there fails, the notification
/// fails, so CRIU fails the dump and resumes the tree on the source.
/// </summary>
/// <remarks>
/// The final dump goes to the client's next iteration directory (<c>Wdir/N</c>, after the last pre-dump).
/// The restored tree is not a child of this process (no <c>rst_sibling</c>). If the restore fails after CRIU
/// forked the tree's root (e.g. it is cancelled and CRIU killed), that root is killed, so no half-restored
/// copy runs beside the resumed source. For post-copy (<see cref="DumpCopyRestoreLazilyAsync"/>) the server's
/// lazy iteration receives the tree instead.
/// </remarks>
public sealed partial class InProcessLocal : IPhaulPostCopyLocal, IPhaulLocalOutcome, ICriuOptionsSource
{
    private const string DumpLogFile = "dump.log";
    private const string RestoreLogFile = "restore.log";

    private readonly PhaulServer _server;
    private readonly InProcessLocalOptions _options;
    private readonly ILogger _logger;
    private readonly MigrationDependencies _dependencies;

    /// <summary>Creates the final stage for a server in this process.</summary>
    /// <param name="server">The destination; its current iteration receives the final dump's pages.</param>
    /// <param name="loggerFactory">Where to log; null for no logging.</param>
    /// <param name="configureFinalDump">
    /// Adjusts CRIU's options for the final dump (or the lazy dump of post-copy) after Phaul set its own, e.g. to add
    /// <c>TcpEstablished</c> or <c>FileLocks</c>; null to leave them.
    /// </param>
    /// <param name="configureRestore">Adjusts CRIU's options for the restore after Phaul set its own; null to leave them.</param>
    /// <param name="progress">
    /// Told the final stage's steps (restored, every page arrived, the source's copy resumed or killed); give the same
    /// sink to <see cref="PhaulClientOptions.Progress"/> for the loop's. Null for none.
    /// </param>
    public InProcessLocal(PhaulServer server, ILoggerFactory? loggerFactory = null, Action<CriuOpts>? configureFinalDump = null,
                          Action<CriuOpts>? configureRestore = null, IProgress<MigrationProgress>? progress = null)
        : this(server, new InProcessLocalOptions { ConfigureDump = configureFinalDump, ConfigureRestore = configureRestore, Progress = progress },
               loggerFactory, MigrationDependencies.Default)
    {
    }

    internal InProcessLocal(PhaulServer server, InProcessLocalOptions? options, ILoggerFactory? loggerFactory,
                            MigrationDependencies dependencies)
    {
        ArgumentNullException.ThrowIfNull(server);
        _server = server;
        _options = options ?? new InProcessLocalOptions();
        _options.Validate();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<InProcessLocal>();
        _dependencies = dependencies;
    }

    /// <summary>
    /// The CRIU options this migration needs (e.g. <c>TcpEstablished</c>, <c>FileLocks</c>, <c>External</c>), stated once:
    /// merged into every pre-dump (by <see cref="PhaulClient"/>) and the final dump, and what the restore needs of them
    /// (as <see cref="Transport.MigrationConnectionOptions.CriuOptions"/> lists) into the restore; the configure
    /// callbacks run after them. Fields Phaul sets itself (pid, images, page server, log file, ...) are refused.
    /// Default null: none.
    /// </summary>
    /// <exception cref="ArgumentException">The options set a field Phaul sets itself; the message names it.</exception>
    public CriuOpts? CriuOptions
    {
        get => _options.CriuOptions;
        init
        {
            CriuOptionsTemplate.Validate(value, $"{nameof(InProcessLocal)}.{nameof(CriuOptions)}", nameof(value));
            _options = _options with { CriuOptions = value };
        }
    }

    /// <inheritdoc/>
    public DumpStatistics? FinalDump { get; private set; }

    /// <summary>Checks a final stage's arguments, forgets the previous outcome, and creates the stage's images directory.</summary>
    private string BeginFinalStage(ICriu criu, PhaulConfig config, string lastClientImagesPath)
    {
        ArgumentNullException.ThrowIfNull(criu);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(lastClientImagesPath);
        (FinalDump, Restore, RestoredPid, PostCopy) = (null, null, null, null);
        return IterationDirectories.CreateAfter(config.Wdir, lastClientImagesPath);
    }

    /// <inheritdoc/>
    public RestoreStatistics? Restore { get; private set; }

    /// <inheritdoc/>
    public int? RestoredPid { get; private set; }

    /// <inheritdoc/>
    /// <remarks>Cancelling fails the dump (or the restore inside it); CRIU then resumes the tree on the source.</remarks>
    public async Task DumpCopyRestoreAsync(ICriu criu, PhaulConfig config, string lastClientImagesPath,
                                           CancellationToken cancellationToken = default)
    {
        var directory = BeginFinalStage(criu, config, lastClientImagesPath);
        var restoreOnPostDump = new RestoreOnPostDump(this, config.Pid, directory, cancellationToken);
        using (var images = _dependencies.Directories.Open(directory))
        {
            var opts = DumpOptions(config, images.Fd, directory, lastClientImagesPath);
            _logger.FinalDumpStarting(config.Pid, directory, lastClientImagesPath);
            try
            {
                await criu.DumpAsync(opts, restoreOnPostDump, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (restoreOnPostDump.Failure is { } restoreFailure)
            {
                // The dump failed because the restore did; the restore's error is the cause worth reporting.
                ExceptionDispatchInfo.Throw(restoreFailure);
            }
            catch (Exception dumpFailure) when (RestoredPid is { } restoredPid)
            {
                _logger.DumpFailedAfterRestore(config.Pid, restoredPid, dumpFailure);
                throw;
            }
        }
        if (RestoredPid is null)
        {
            _logger.PostDumpNeverCame(config.Pid, directory);
            throw new InvalidOperationException(
                $"CRIU dumped pid {config.Pid} without sending its post-dump notification, so nothing was restored; the images are in '{directory}'.");
        }
        FinalDump = await TryReadAsync(directory, _dependencies.Stats.ReadDumpStatsAsync, DumpStatistics.FromCriu).ConfigureAwait(false);
        Restore = await TryReadAsync(_server.LastImagesDir, _dependencies.Stats.ReadRestoreStatsAsync, RestoreStatistics.FromCriu).ConfigureAwait(false);
    }

    private CriuOpts DumpOptions(PhaulConfig config, int imagesFd, string directory, string lastClientImagesPath)
    {
        var opts = new CriuOpts
        {
            Pid = config.Pid,
            ImagesDirFd = imagesFd,
            LogLevel = _options.CriuLogLevel,
            LogFile = DumpLogFile,
            Ps = new CriuPageServerInfo { Fd = config.Memfd },
            NotifyScripts = true,
        };
        if (lastClientImagesPath.Length > 0)
        {
            opts.ParentImg = Path.GetRelativePath(directory, lastClientImagesPath);
            opts.TrackMem = true;
        }
        CriuOptionsTemplate.ApplyTo(opts, _options.CriuOptions);
        _options.ConfigureDump?.Invoke(opts);
        return opts;
    }

    /// <summary>Runs inside CRIU's post-dump notification: the tree is frozen and its images are written.</summary>
    private async Task RestoreOnDestinationAsync(int pid, string dumpDirectory, CancellationToken cancellationToken)
    {
        // The page server must have written and closed every page before the restore reads them.
        await _server.WaitForPageServerAsync(cancellationToken).ConfigureAwait(false);
        var target = _server.LastImagesDir;
        var linked = ImageLinker.LinkOrCopyImages(dumpDirectory, target);
        _logger.ImagesLinked(linked, dumpDirectory, target);

        var opts = new CriuOpts { LogLevel = _options.CriuLogLevel, LogFile = RestoreLogFile, RstSibling = false };
        CriuOptionsTemplate.ApplyTo(opts, CriuOptionsTemplate.RestorePart(_options.CriuOptions));
        _options.ConfigureRestore?.Invoke(opts);
        using var images = _dependencies.Directories.Open(target);
        opts.ImagesDirFd = images.Fd;
        _logger.RestoreStarting(target, pid);
        var sourceStopped = false;
        // The hand-over: the restored copy runs only once the source's is stopped, so that whatever happens to this
        // process or to either CRIU from here on, the source's copy can never run again beside it.
        using var watch = new RestoreWatch(restoredPid =>
        {
            var stopped = _dependencies.Trees.Stop(pid);
            sourceStopped = true;
            _logger.SourceStoppedForHandOver(pid, stopped, restoredPid);
            return Task.CompletedTask;
        });
        try
        {
            RestoredPid = await _server.Criu.RestoreAsync(opts, watch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (watch.KillRestoredRoot() is { } restoredRoot)
                _logger.PartlyRestoredTreeKilled(pid, restoredRoot);
            // The restored copy is dead, so the source's (which CRIU resumes as this notification fails) may run on.
            if (sourceStopped)
            {
                var continued = _dependencies.Trees.Continue(pid);
                _logger.SourceContinuedAfterHandOver(pid, continued);
            }
            throw;
        }
        _logger.Restored(pid, RestoredPid.Value);
        _options.Progress.ReportSafely(new(MigrationProgressKind.Restored) { Pid = RestoredPid.Value }, _logger);
    }

    // Statistics are a report's garnish: the tree has moved by now, so a bad file must not fail the migration.
    private async Task<TResult?> TryReadAsync<TEntry, TResult>(string directory,
                                                               Func<string, CancellationToken, Task<TEntry?>> read,
                                                               Func<TEntry, TResult> convert)
        where TEntry : class where TResult : class
    {
        try
        {
            var entry = await read(directory, CancellationToken.None).ConfigureAwait(false);
            return entry is null ? null : convert(entry);
        }
#pragma warning disable CA1031 // Logged, and the report says "no statistics".
        catch (Exception failure)
#pragma warning restore CA1031
        {
            _logger.StatisticsUnreadable(directory, failure);
            return null;
        }
    }

    private sealed class RestoreOnPostDump(InProcessLocal local, int pid, string dumpDirectory,
                                           CancellationToken cancellationToken) : CriuNotifyBase
    {
        public Exception? Failure { get; private set; }

        public override async Task PostDumpAsync()
        {
            try
            {
                await local.RestoreOnDestinationAsync(pid, dumpDirectory, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception failure)
            {
                Failure = failure;
                local._logger.RestoreFailed(pid, failure);
                throw;
            }
        }
    }
}
