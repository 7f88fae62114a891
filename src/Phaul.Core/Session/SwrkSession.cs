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
    /// <param name="cancellationToken">Kills CRIU and breaks the session.</param>
    /// <exception cref="CriuException">CRIU failed the request, died, or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; CRIU was killed.</exception>
    public async Task<CriuResp> RequestAsync(CriuReq request, ICriuNotify? notify, CancellationToken cancellationToken)
    {
        if (!IsUsable)
            throw new InvalidOperationException($"swrk session {Pid} is {State}; it serves no more requests.");
        var type = request.Type;
        var dispatcher = new NotifyDispatcher(notify, _logger);
        var stopwatch = Stopwatch.StartNew();
        using var registration = cancellationToken.Register(static process => ((ISwrkProcess)process!).Kill(), _process);
        using var requestDone = new CancellationTokenSource();
        // CRIU's death cannot show as EOF alone: a page server it forked keeps a copy of its socket.
        var exited = _process.WaitForExitAsync(requestDone.Token);
        try
        {
            CriuLog.RequestSent(_logger, type, Pid, request.KeepOpen);
            var rewritten = RequestFds.Rewrite(request, _criuFdOf);
            using var lazySocketConfig = LazyDumpSocketConfig.Apply(rewritten);
            await _channel.SendAsync(rewritten, type, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var response = await ReceiveUnlessDeadAsync(type, exited, cancellationToken).ConfigureAwait(false)
                               ?? throw await BreakOnDeathAsync(request, null).ConfigureAwait(false);
                if (response.Type == CriuReqType.Notify)
                {
                    await AnswerNotifyAsync(type, response, dispatcher, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                CheckAnswers(type, response);
                Advance(request, response);
                CriuLog.ResponseReceived(_logger, type, Pid, response.Success, stopwatch.Elapsed.TotalMilliseconds);
                return response.Success && dispatcher.Failure is null
                    ? response
                    : throw Failed(request, response, dispatcher);
            }
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested)
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
