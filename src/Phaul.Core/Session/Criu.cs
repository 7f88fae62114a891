using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// CRIU driven over its RPC service, <c>criu swrk</c>: each session is a swrk process on a
/// SOCK_SEQPACKET socketpair. Without <see cref="Prepare"/> every call starts and ends a session
/// of its own. After <see cref="Prepare"/>, calls share one session where CRIU's service allows it:
/// pre-dumps followed by the final dump, and the requests CRIU serves with <c>keep_open</c>.
/// </summary>
/// <remarks>
/// Needs CRIU <see cref="MinimumVersion"/> or newer, checked once per instance before the first
/// request. Fds in the options reach CRIU whatever their close-on-exec flag, and never leak into
/// other processes the application starts: <c>Ps.Fd</c> and <c>InheritFd</c> fds are passed to the
/// swrk process on fixed numbers and rewritten in a copy of the request; <c>ImagesDirFd</c>,
/// <c>WorkDirFd</c> and <c>StatusFd</c> are opened by CRIU through /proc of this process.
/// CRIU needs <c>Ps.Fd</c> and <c>InheritFd</c> fds in blocking mode, so their O_NONBLOCK flag is
/// cleared (a .NET <see cref="System.Net.Sockets.Socket"/> used asynchronously is non-blocking
/// underneath): do not use such a socket from .NET while CRIU uses it.
/// A lazy (post-copy) dump serves its pages over <c>Ps.Fd</c> too, although CRIU's RPC service ignores
/// that field when <c>LazyPages</c> is set: Phaul hands the socket to CRIU as <c>--ps-socket</c> through an
/// RPC config file (appended to <c>ConfigFile</c>'s lines when one is set).
/// </remarks>
public sealed partial class Criu : ILocalCriu
{
    /// <summary>
    /// The oldest CRIU supported, 3.17 (<c>31700</c>): the first with every request type Phaul sends
    /// (SINGLE_PRE_DUMP came in 3.17), and the oldest a supported Debian release ships (bookworm).
    /// </summary>
    public const int MinimumVersion = 31700;

    private readonly ISwrkLauncher _launcher;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _preparedGate = new(1, 1);
    private readonly Lock _sessionsLock = new();
    private readonly HashSet<SwrkSession> _ownSessions = [];
    private readonly List<InheritFd> _inheritFds = [];
    private SwrkSession? _prepared;
    private CriuVersion? _version;
    private bool _disposed;

    /// <summary>Creates a client; nothing is started until the first call or <see cref="Prepare"/>.</summary>
    /// <param name="criuPath">CRIU's binary; null: <c>$PHAUL_CRIU</c> if set, else <c>criu</c> on PATH.</param>
    [SuppressMessage("ApiDesign", "RS0027", Justification = "Criu(string? criuPath = null) is a name of the API contract (API.md).")]
    public Criu(string? criuPath = null)
        : this(criuPath, null)
    {
    }

    /// <summary>Creates a client that logs; nothing is started until the first call or <see cref="Prepare"/>.</summary>
    /// <param name="criuPath">CRIU's binary; null: <c>$PHAUL_CRIU</c> if set, else <c>criu</c> on PATH.</param>
    /// <param name="loggerFactory">Where to log; null: nowhere.</param>
    public Criu(string? criuPath, ILoggerFactory? loggerFactory)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<Criu>();
        _launcher = new SwrkLauncher(criuPath, _logger);
    }

    /// <inheritdoc/>
    public string ResolveBinary() => _launcher.ResolveBinary();

    internal Criu(ISwrkLauncher launcher, ILogger logger)
    {
        _launcher = launcher;
        _logger = logger;
    }

    /// <inheritdoc/>
    /// <remarks>keep_open requests: version, feature check, cpuinfo, page server.</remarks>
    public void Prepare()
    {
        lock (_sessionsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_prepared is { IsUsable: true })
                return;
            _prepared?.Dispose();
            _prepared = null;
            _prepared = Launch(CriuReqType.Empty, []);
        }
    }

    /// <inheritdoc/>
    public void Cleanup()
    {
        SwrkSession? prepared;
        lock (_sessionsLock)
        {
            prepared = _prepared;
            _prepared = null;
        }
        prepared?.Dispose();
    }

    /// <summary>
    /// Hands <paramref name="fd"/> to every later restored tree as the resource named
    /// <paramref name="key"/> (CRIU's <c>--inherit-fd fd[N]:key</c>), on top of the request's own <c>InheritFd</c>.
    /// </summary>
    /// <param name="key">The resource as CRIU's images name it, e.g. <c>pipe:[12345]</c>.</param>
    /// <param name="fd">An open fd of this process; it must stay open until the restores are done.</param>
    /// <exception cref="ArgumentException">Empty key or negative fd.</exception>
    public void AddInheritFd(string key, int fd)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegative(fd);
        lock (_sessionsLock)
            _inheritFds.Add(new InheritFd { Key = key, Fd = fd });
    }

    /// <summary>Ends the prepared session and kills the CRIU of every call still running.</summary>
    public void Dispose()
    {
        List<SwrkSession> sessions;
        lock (_sessionsLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            sessions = [.. _ownSessions];
            if (_prepared is not null)
                sessions.Add(_prepared);
            _prepared = null;
        }
        foreach (var session in sessions)
            session.Dispose();
    }
}
