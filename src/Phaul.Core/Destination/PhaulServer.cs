using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// The destination side of a migration. Each iteration runs a CRIU page server that receives the
/// source's pages over <c>Memfd</c> into <c>Wdir/N</c>, on top of the previous iteration's images.
/// Calls are sequential: StartIter, StopIter, StartIter, ... A post-copy migration ends with a lazy
/// iteration instead (<see cref="StartLazyIterAsync"/>): the tree is restored before its memory, which a
/// lazy-pages daemon then fetches from the source over <c>Memfd</c>.
/// </summary>
public sealed partial class PhaulServer : IPhaulPostCopyRemote, IDisposable
{
    private readonly PhaulConfig _config;
    private readonly PhaulServerOptions _options;
    private readonly ILogger _logger;
    private readonly MigrationDependencies _dependencies;
    private readonly IterationDirectories _directories;
    private PageServerProcess? _pageServer;
    private bool _disposed;

    private PhaulServer(PhaulConfig config, PhaulServerOptions options, ILogger logger, MigrationDependencies dependencies)
    {
        _config = config;
        _options = options;
        _logger = logger;
        _dependencies = dependencies;
        _directories = new IterationDirectories(config.Wdir);
        Criu = (options.CriuFactory ?? (() => new Criu()))();
    }

    /// <summary>Creates a server after checking its arguments; nothing is started.</summary>
    /// <param name="config">The memory socket (<c>Memfd</c>) and the destination's working directory (<c>Wdir</c>); <c>Pid</c> is unused.</param>
    /// <param name="options">How to run page servers; null for the defaults.</param>
    /// <param name="loggerFactory">Where to log; null for no logging.</param>
    /// <exception cref="ArgumentException">A field of <paramref name="config"/> or <paramref name="options"/> is invalid; the message names it.</exception>
    public static PhaulServer MakePhaulServer(PhaulConfig config, PhaulServerOptions? options = null,
                                              ILoggerFactory? loggerFactory = null) =>
        Create(config, options, loggerFactory, MigrationDependencies.Default);

    internal static PhaulServer Create(PhaulConfig config, PhaulServerOptions? options, ILoggerFactory? loggerFactory,
                                       MigrationDependencies dependencies)
    {
        PhaulConfigValidation.Validate(config, requirePid: false);
        options ??= new PhaulServerOptions();
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<PhaulServer>();
        return new PhaulServer(config, options, logger, dependencies);
    }

    /// <summary>The absolute path of the newest iteration directory, "" before the first iteration.</summary>
    public string LastImagesDir => _directories.Last;

    /// <summary>The destination's CRIU, e.g. to restore the tree from <see cref="LastImagesDir"/>.</summary>
    public ICriu Criu { get; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The previous iteration was not stopped.</exception>
    /// <exception cref="CriuException">CRIU could not start the page server.</exception>
    public Task StartIterAsync(CancellationToken cancellationToken = default) => StartIterAsync(0, cancellationToken);

    /// <inheritdoc/>
    /// <exception cref="InsufficientSpaceException">The images directory lacks the space; nothing was started.</exception>
    public async Task StartIterAsync(long expectedBytes, CancellationToken cancellationToken)
    {
        ThrowIfIterationRunning();
        DumpSpace.Require(_config.Wdir, expectedBytes);

        var iteration = _directories.Count;
        var directory = _directories.CreateNext();
        var logFile = string.Create(CultureInfo.InvariantCulture, $"page-server-{iteration}.log");
        var opts = new CriuOpts
        {
            // The page server's verdict is read from its log: "Session over" is an info line (level 3).
            LogLevel = Math.Max(_options.CriuLogLevel, PageServerOutcome.LowestLogLevel),
            LogFile = logFile,
            Ps = new CriuPageServerInfo { Fd = _config.Memfd },
        };
        if (iteration > 0)
            opts.ParentImg = IterationDirectories.ParentOf(iteration);
        _options.ConfigurePageServer?.Invoke(opts);

        CriuPageServerInfo started;
        using (var images = _dependencies.Directories.Open(directory))
        {
            opts.ImagesDirFd = images.Fd;
            started = await Criu.StartPageServerChldAsync(opts, cancellationToken).ConfigureAwait(false);
        }
        _pageServer = PageServerProcess.Watch(iteration, started.Pid, Path.Combine(directory, logFile), _logger);
        _logger.PageServerStarted(iteration, started.Pid, directory);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A lazy iteration (<see cref="StartLazyIterAsync"/>) ends as described there. A page-server iteration
    /// always ends: when the page server fails, does not exit within
    /// <see cref="PhaulServerOptions.PageServerExitTimeout"/>, or the wait is cancelled, it is killed.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No iteration is running.</exception>
    /// <exception cref="CriuException">The page server failed or timed out; carries its log tail.</exception>
    public async Task StopIterAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lazy is not null)
        {
            await StopLazyIterAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        var pageServer = _pageServer ?? throw new InvalidOperationException("No iteration is running: call StartIterAsync first.");
        try
        {
            await pageServer.WaitForSuccessAsync(_options.PageServerExitTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pageServer = null;
            pageServer.Dispose();
        }
    }

    /// <summary>
    /// Completes when the running iteration's page server exits: with its failure, or null when it succeeded, or when
    /// no page server runs. Kills nothing; cancelling ends the wait only.
    /// </summary>
    internal async Task<CriuException?> PageServerFailureAsync(CancellationToken cancellationToken) =>
        _pageServer is { } pageServer ? await pageServer.WaitForFailureAsync(cancellationToken).ConfigureAwait(false) : null;

    /// <summary>
    /// Waits until the running iteration's page server has received everything and exited successfully,
    /// without ending the iteration: for restoring from <see cref="LastImagesDir"/> before StopIter.
    /// </summary>
    internal Task WaitForPageServerAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pageServer = _pageServer ?? throw new InvalidOperationException("No iteration is running: the final stage needs a started iteration.");
        return pageServer.WaitForSuccessAsync(_options.PageServerExitTimeout, cancellationToken);
    }

    /// <summary>
    /// Kills a page server that still runs, ends a lazy iteration (killing its daemon, and its restored tree
    /// unless every page arrived) and disposes <see cref="Criu"/>.
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _lazy?.Dispose();
        _lazy = null;
        if (_pageServer is not null)
        {
            _pageServer.Kill("the server is disposed");
            _pageServer.Dispose();
            _pageServer = null;
        }
        Criu.Dispose();
    }
}
