using Phaul.Rpc;

namespace Phaul;

// Which session serves a request, following CRIU's service: keep_open works only for some
// requests, a PRE_DUMP turns the session into a pre-dump chain that ends with a DUMP, and the
// caller fds a request names must exist in swrk from its start.
public sealed partial class Criu
{
    private static readonly HashSet<CriuReqType> KeepOpenTypes =
    [
        CriuReqType.Version, CriuReqType.FeatureCheck, CriuReqType.CpuinfoDump, CriuReqType.CpuinfoCheck,
        CriuReqType.PageServer, CriuReqType.PageServerChld,
    ];

    private async Task<CriuResp> RunAsync(CriuReq request, ICriuNotify? notify, CancellationToken cancellationToken)
    {
        // Cancelling a request that holds a tree works through a failed notification, so it needs them.
        if (notify is not null || SwrkSession.HoldsTree(request))
            request.Opts.NotifyScripts = true;
        var fds = RequestFds.Of(request.Opts);
        RequestFds.MakeBlocking(fds);
        await _preparedGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (PreparedSessionFor(request.Type, fds) is { } prepared)
            {
                request.KeepOpen = KeepOpenTypes.Contains(request.Type);
                return await ExchangeAsync(prepared, request, notify, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _preparedGate.Release();
        }
        return await RunInOwnSessionAsync(request, fds, notify, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CriuResp> RunInOwnSessionAsync(CriuReq request, IReadOnlyList<int> fds, ICriuNotify? notify,
                                                      CancellationToken cancellationToken)
    {
        SwrkSession session;
        lock (_sessionsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            session = Launch(request.Type, fds);
            _ownSessions.Add(session);
        }
        try
        {
            return await ExchangeAsync(session, request, notify, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_sessionsLock)
                _ownSessions.Remove(session);
            session.Dispose();
        }
    }

    /// <summary>The prepared session if it can serve the request (replacing it first if it lacks the fds), else null.</summary>
    private SwrkSession? PreparedSessionFor(CriuReqType type, IReadOnlyList<int> fds)
    {
        lock (_sessionsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_prepared is { IsUsable: false } finished)
            {
                _prepared = null;
                finished.Dispose();
            }
            var prepared = _prepared;
            var reason = prepared switch
            {
                null => "no prepared session",
                { State: SwrkSessionState.PreDumpChain } when type is not (CriuReqType.PreDump or CriuReqType.Dump) =>
                    "the prepared session is in a pre-dump chain, which only pre-dumps and a dump may continue",
                { State: SwrkSessionState.PreDumpChain } when !prepared.Has(fds) =>
                    "the prepared session's pre-dump chain was started without the fds it names",
                _ when !ServedOnPreparedSession(type) =>
                    "CRIU serves it only as a session's last request, and the prepared one is kept for the dump",
                _ => null,
            };
            if (reason is not null)
            {
                CriuLog.OwnSession(_logger, type, reason);
                return null;
            }
            if (prepared!.Has(fds))
                return prepared;
            CriuLog.PreparedSessionReplaced(_logger, prepared.Pid, type);
            _prepared = null;
            prepared.Dispose();
            return _prepared = Launch(type, fds);
        }
    }

    // WAIT_PID ends the session, but only the swrk that forked a page server (PAGE_SERVER_CHLD) can wait for it.
    private static bool ServedOnPreparedSession(CriuReqType type) =>
        type is CriuReqType.PreDump or CriuReqType.Dump or CriuReqType.WaitPid || KeepOpenTypes.Contains(type);

    private SwrkSession Launch(CriuReqType type, IReadOnlyList<int> fds)
    {
        try
        {
            return _launcher.Launch(fds);
        }
        catch (Exception e) when (e is FileNotFoundException or UnauthorizedAccessException or NativeCallException)
        {
            throw new CriuException(type, $"cannot start CRIU: {e.Message}", innerException: e);
        }
    }

    private async Task<CriuResp> ExchangeAsync(SwrkSession session, CriuReq request, ICriuNotify? notify,
                                               CancellationToken cancellationToken)
    {
        if (request.Type != CriuReqType.Version)
            await EnsureSupportedAsync(session, request.Type, cancellationToken).ConfigureAwait(false);
        var response = await session.RequestAsync(request, notify, cancellationToken).ConfigureAwait(false);
        if (request.Type == CriuReqType.Version)
            RememberVersion(request.Type, response);
        return response;
    }
}
