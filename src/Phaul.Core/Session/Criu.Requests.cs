using Phaul.Rpc;

namespace Phaul;

// One method per CRIU request type. The caller's options are never changed: each request
// carries a copy.
public sealed partial class Criu
{
    /// <inheritdoc/>
    public Task DumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.Dump, opts), notify, cancellationToken);

    /// <inheritdoc/>
    public Task PreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.PreDump, opts), notify, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>Fds registered with <see cref="AddInheritFd"/> are added to the request's <c>InheritFd</c>.</remarks>
    public async Task<int> RestoreAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default)
    {
        var request = Request(CriuReqType.Restore, opts);
        lock (_sessionsLock)
            request.Opts.InheritFd.AddRange(_inheritFds.Select(inherit => inherit.Clone()));
        var response = await RunAsync(request, notify, cancellationToken).ConfigureAwait(false);
        return response.Restore?.Pid ?? throw new CriuProtocolException(CriuReqType.Restore, "CRIU answered RESTORE without the restored pid");
    }

    /// <inheritdoc/>
    public Task StartPageServerAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.PageServer, opts), null, cancellationToken);

    /// <inheritdoc/>
    public async Task<CriuPageServerInfo> StartPageServerChldAsync(CriuOpts opts, CancellationToken cancellationToken = default)
    {
        var response = await RunAsync(Request(CriuReqType.PageServerChld, opts), null, cancellationToken).ConfigureAwait(false);
        return response.Ps ?? throw new CriuProtocolException(CriuReqType.PageServerChld, "CRIU answered PAGE_SERVER_CHLD without the page server's pid and port");
    }

    /// <inheritdoc/>
    /// <remarks>Asked once per instance; later calls answer from memory.</remarks>
    public async Task<int> GetCriuVersionAsync(CancellationToken cancellationToken = default)
    {
        if (_version is null)
            await RunAsync(new CriuReq { Type = CriuReqType.Version }, null, cancellationToken).ConfigureAwait(false);
        return Encode(_version!);
    }

    /// <inheritdoc/>
    public async Task<bool> IsCriuAtLeastAsync(int version, CancellationToken cancellationToken = default) =>
        await GetCriuVersionAsync(cancellationToken).ConfigureAwait(false) >= version;

    /// <inheritdoc/>
    public async Task<CriuFeatures> FeatureCheckAsync(CriuFeatures features, CancellationToken cancellationToken = default)
    {
        // CRIU's feature-check child crashes on a request without features.
        ArgumentNullException.ThrowIfNull(features);
        var request = new CriuReq { Type = CriuReqType.FeatureCheck, Features = features.Clone() };
        var response = await RunAsync(request, null, cancellationToken).ConfigureAwait(false);
        return response.Features ?? throw new CriuProtocolException(CriuReqType.FeatureCheck, "CRIU answered FEATURE_CHECK without features");
    }

    /// <summary>Asks CRIU whether this kernel has what CRIU needs (<c>criu check</c>).</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required (CRIU writes its log there).</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    /// <exception cref="CriuException">The check failed; the log tail says what is missing.</exception>
    public Task CheckAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.Check, opts), null, cancellationToken);

    /// <summary>Writes this machine's CPU description into the images directory (<c>criu cpuinfo dump</c>).</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    /// <exception cref="CriuException">CRIU failed.</exception>
    public Task CpuInfoDumpAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.CpuinfoDump, opts), null, cancellationToken);

    /// <summary>Checks that images dumped with <see cref="CpuInfoDumpAsync"/> elsewhere can run on this CPU (<c>criu cpuinfo check</c>).</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    /// <exception cref="CriuException">The CPUs are not compatible, or CRIU failed.</exception>
    public Task CpuInfoCheckAsync(CriuOpts opts, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.CpuinfoCheck, opts), null, cancellationToken);

    /// <summary>
    /// Has CRIU wait for one of its own children (CRIU's WAIT_PID) and returns its wait status: after
    /// <see cref="StartPageServerChldAsync"/> on a prepared session, waits for that page server to finish.
    /// Runs on the prepared session when it is idle, and ends it (CRIU serves WAIT_PID only last).
    /// </summary>
    /// <param name="pid">A child of the swrk process serving the request, e.g. a page server's pid.</param>
    /// <param name="cancellationToken">Kills CRIU.</param>
    /// <exception cref="CriuException">CRIU failed, e.g. the pid is not its child.</exception>
    public async Task<int> WaitPidAsync(int pid, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        var response = await RunAsync(new CriuReq { Type = CriuReqType.WaitPid, Pid = (uint)pid }, null, cancellationToken)
            .ConfigureAwait(false);
        return response.Status;
    }

    /// <summary>One pre-dump that is not part of a chain ending in a dump (CRIU's SINGLE_PRE_DUMP); always a session of its own.</summary>
    /// <param name="opts">CRIU's options; <c>ImagesDirFd</c> is required.</param>
    /// <param name="notify">Receives CRIU's notifications.</param>
    /// <param name="cancellationToken">Kills CRIU and abandons the pre-dump.</param>
    /// <exception cref="CriuException">CRIU failed.</exception>
    public Task SinglePreDumpAsync(CriuOpts opts, ICriuNotify? notify = null, CancellationToken cancellationToken = default) =>
        RunAsync(Request(CriuReqType.SinglePreDump, opts), notify, cancellationToken);

    private static CriuReq Request(CriuReqType type, CriuOpts opts)
    {
        ArgumentNullException.ThrowIfNull(opts);
        // A required field in CRIU's schema: without it CRIU rejects the request with EBADRQC.
        if (!opts.HasImagesDirFd || opts.ImagesDirFd < 0)
            throw new ArgumentException($"opts.ImagesDirFd must be an open directory fd (see {nameof(ImagesDirectory)}.{nameof(ImagesDirectory.Open)}).", nameof(opts));
        return new CriuReq { Type = type, Opts = opts.Clone() };
    }
}
