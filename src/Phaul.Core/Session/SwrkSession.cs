using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// One <c>criu swrk</c> process and the caller fds it was started with. Runs one request at a time
/// to its end (notify round-trips included), tracks which requests CRIU still serves, and on any
/// fatal error takes the one break path: log, mark broken, kill CRIU, return the exception.
/// </summary>
internal sealed partial class SwrkSession : IDisposable
{
    // How long CRIU may take to exit after closing its socket before it is killed.
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(2);

    // How long a response CRIU sent just before exiting may take to show up on the socket.
    private static readonly TimeSpan LastWordsGrace = TimeSpan.FromMilliseconds(500);

    private readonly SwrkChannel _channel;
    private readonly ISwrkProcess _process;
    private readonly Dictionary<int, int> _criuFdOf = [];
    private readonly ILogger _logger;
    private volatile bool _disposed;

    /// <param name="channel">The client end of the swrk socket.</param>
    /// <param name="process">The swrk process.</param>
    /// <param name="callerFds">The caller fds the process got, on <see cref="SwrkProcess.FirstCallerFd"/>, +1, ...</param>
    /// <param name="logger">Where the session logs.</param>
    public SwrkSession(SwrkChannel channel, ISwrkProcess process, IReadOnlyList<int> callerFds, ILogger logger)
    {
        _channel = channel;
        _process = process;
        _logger = logger;
        for (var i = 0; i < callerFds.Count; i++)
            _criuFdOf[callerFds[i]] = SwrkProcess.FirstCallerFd + i;
    }

    public SwrkSessionState State { get; private set; }

    public int Pid => _process.Pid;

    /// <summary>Whether CRIU still serves requests on this session.</summary>
    public bool IsUsable => State is SwrkSessionState.Idle or SwrkSessionState.PreDumpChain;

    /// <summary>Whether every one of <paramref name="callerFds"/> is open in this CRIU.</summary>
    public bool Has(IEnumerable<int> callerFds) => callerFds.All(_criuFdOf.ContainsKey);

    /// <summary>Runs <paramref name="request"/> (caller fd numbers; they are rewritten in a copy) and returns CRIU's successful answer.</summary>
    /// <param name="request">The request as the caller wrote it.</param>
    /// <param name="notify">Receives CRIU's notifications, if any.</param>
    /// <param name="cancellationToken">
    /// For a request that holds a process tree (see <see cref="HoldsTree"/>): CRIU's next notification is answered
    /// with a failure, so CRIU undoes what it did through its own failure path (it resumes a dumped tree and unlocks
    /// its network, or kills a tree it was restoring), and the call ends when CRIU answered. Such a request that
    /// succeeds all the same returns its success, since a dump or restore that completed cannot be taken back.
    /// For every other request, CRIU is killed and the session breaks.
    /// </param>
    /// <exception cref="CriuException">CRIU failed the request, died, or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException">Cancelled before CRIU succeeded.</exception>
    public async Task<CriuResp> RequestAsync(CriuReq request, ICriuNotify? notify, CancellationToken cancellationToken)
    {
        if (!IsUsable)
            throw new InvalidOperationException($"swrk session {Pid} is {State}; it serves no more requests.");
        var type = request.Type;
        var holdsTree = HoldsTree(request);
        var dispatcher = new NotifyDispatcher(notify, _logger);
        var stopwatch = Stopwatch.StartNew();
        using var registration = holdsTree
            ? cancellationToken.Register(static dispatcher => ((NotifyDispatcher)dispatcher!).FailFromNowOn(), dispatcher)
            : cancellationToken.Register(static process => ((ISwrkProcess)process!).Kill(), _process);
        // A request holding a tree is ended by CRIU's answer alone, never by abandoning CRIU mid-way.
        var exchangeToken = holdsTree ? CancellationToken.None : cancellationToken;
        using var requestDone = new CancellationTokenSource();
        // CRIU's death cannot show as EOF alone: a page server it forked keeps a copy of its socket.
        var exited = _process.WaitForExitAsync(requestDone.Token);
        try
        {
            CriuLog.RequestSent(_logger, type, Pid, request.KeepOpen);
            var rewritten = RequestFds.Rewrite(request, _criuFdOf);
            using var lazySocketConfig = LazyDumpSocketConfig.Apply(rewritten);
            await _channel.SendAsync(rewritten, type, exchangeToken).ConfigureAwait(false);
            while (true)
            {
                var response = await ReceiveUnlessDeadAsync(type, exited, exchangeToken).ConfigureAwait(false)
                               ?? throw await BreakOnDeathAsync(request, null).ConfigureAwait(false);
                if (response.Type == CriuReqType.Notify)
                {
                    await AnswerNotifyAsync(type, response, dispatcher, exchangeToken).ConfigureAwait(false);
                    continue;
                }
                CheckAnswers(type, response);
                Advance(request, response);
                CriuLog.ResponseReceived(_logger, type, Pid, response.Success, stopwatch.Elapsed.TotalMilliseconds);
                if (response.Success && dispatcher.Failure is null && !(cancellationToken.IsCancellationRequested && Undoable(type)))
                    return response;
                var failure = Failed(request, response, dispatcher);
                throw cancellationToken.IsCancellationRequested
                    ? new OperationCanceledException($"CRIU {type} was cancelled; CRIU ended it through its own failure path: {failure.Message}",
                                                     failure, cancellationToken)
                    : failure;
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException { InnerException: CriuException })
        {
            // Killing CRIU may show as EOF before the receive sees the token: that path broke the session already.
            throw new OperationCanceledException($"CRIU {type} was cancelled; criu swrk {Pid} was killed.",
                                                 State == SwrkSessionState.Broken ? e : Break(e), cancellationToken);
        }
        catch (CriuProtocolException e)
        {
            throw Break(e);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            throw await BreakOnDeathAsync(request, e).ConfigureAwait(false);
        }
        finally
        {
            await requestDone.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether CRIU may hold the caller's running tree (frozen, its network locked) while it serves the request: a dump
    /// or pre-dump. Killing such a CRIU would let the tree run on with its network locked, possibly beside a copy. A
    /// lazy dump is the exception: after its post-dump notification it only serves pages, which nothing but a kill
    /// ends, and the tree it leaves stopped (<c>leave_stopped</c>) is its caller's to continue or kill. A restore is
    /// not one either: the tree it builds must not run unless it succeeds, and a killed restore's half-built tree is
    /// its caller's to kill (<see cref="RestoreWatch"/>), so a restore that hangs can still be given up.
    /// </summary>
    internal static bool HoldsTree(CriuReq request) =>
        request.Type switch
        {
            CriuReqType.Dump => request.Opts is not { LazyPages: true },
            CriuReqType.PreDump or CriuReqType.SinglePreDump => true,
            _ => false,
        };

    // A pre-dump that succeeded despite cancellation changed nothing for good: report the cancellation.
    private static bool Undoable(CriuReqType type) => type is CriuReqType.PreDump or CriuReqType.SinglePreDump;

    /// <summary>The next response, or <see langword="null"/> when CRIU closed its socket or exited without one.</summary>
    private async Task<CriuResp?> ReceiveUnlessDeadAsync(CriuReqType type, Task exited, CancellationToken cancellationToken)
    {
        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receive = _channel.ReceiveAsync(type, abandon.Token);
        if (await Task.WhenAny(receive, exited).ConfigureAwait(false) == exited)
            await Task.WhenAny(receive, Task.Delay(LastWordsGrace, cancellationToken)).ConfigureAwait(false);
        if (receive.IsCompleted)
            return await receive.ConfigureAwait(false);
        await abandon.CancelAsync().ConfigureAwait(false);
        try
        {
            await receive.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
        return null;
    }

    private async Task AnswerNotifyAsync(CriuReqType type, CriuResp response, NotifyDispatcher dispatcher,
                                         CancellationToken cancellationToken)
    {
        if (response.Notify is not { } notify)
            throw new CriuProtocolException(type, "CRIU sent a NOTIFY message without its notify field");
        var success = await dispatcher.DispatchAsync(notify).ConfigureAwait(false);
        var answer = new CriuReq { Type = CriuReqType.Notify, NotifySuccess = success };
        await _channel.SendAsync(answer, type, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckAnswers(CriuReqType type, CriuResp response)
    {
        // CRIU answers PAGE_SERVER_CHLD as PAGE_SERVER, and requests it rejects outright as EMPTY.
        var matches = response.Type == type
                      || (type == CriuReqType.PageServerChld && response.Type == CriuReqType.PageServer)
                      || (response.Type == CriuReqType.Empty && !response.Success);
        if (!matches)
            throw new CriuProtocolException(type, $"CRIU answered a {type} request with a {response.Type} response");
    }

    private void Advance(CriuReq request, CriuResp response)
    {
        State = (request.Type, response.Success) switch
        {
            (CriuReqType.PreDump, true) => SwrkSessionState.PreDumpChain,
            (_, true) when request.KeepOpen && State == SwrkSessionState.Idle => SwrkSessionState.Idle,
            _ => SwrkSessionState.Ended,
        };
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (IsUsable)
            State = SwrkSessionState.Ended;
        _channel.Dispose();
        _process.Dispose();
        CriuLog.SwrkEnded(_logger, Pid);
    }
}
