using Microsoft.Extensions.Logging;
using Phaul.Transport.Protocol;

namespace Phaul.Transport;

/// <summary>
/// One authenticated migration on the destination: serves the source's StartIter, StopIter,
/// image files and restore request against this session's PhaulServer, one request at a time,
/// until the source closes the control connection.
/// </summary>
internal sealed partial class DestinationSession : IDisposable
{
    private readonly FrameChannel _channel;
    private readonly IMigrationTarget _target;
    // The CRIU end of the session's memory connection, for an extension that takes it (IMemoryConnectionUser).
    private readonly int _memoryFd;
    private readonly ImageReceiver _receiver;
    private readonly MigrationListenerOptions _options;
    private readonly DestinationServices _services;
    private readonly ILogger _logger;
    private readonly string _id;
    private readonly SessionHandOver _handOver;

    // Replaced only through SessionState's transitions.
    private SessionState _state = SessionState.Initial;

    // Cancelled when the open iteration's page server fails: the source may be blocked sending it pages, and must hear now.
    private readonly CancellationTokenSource _pageServerFailed = new();
    private CriuException? _pageServerFailure;

    // Filler bytes of the link probes since the last answered one.
    private ulong _probeBytes;

    public DestinationSession(string id, FrameChannel channel, IMigrationTarget target, MigrationListenerOptions options,
                              DestinationServices services, ILogger logger, SessionHandOver handOver, int memoryFd)
    {
        _id = id;
        _memoryFd = memoryFd;
        _handOver = handOver;
        _channel = channel;
        _target = target;
        _options = options;
        _services = services;
        _logger = logger;
        _receiver = new ImageReceiver(channel, options.ImageLimits, options.Timeouts.Transfer, services.ImageSpace);
    }

    /// <summary>The restored tree's root pid, once restored here, by this session or by one of its extensions.</summary>
    public int? RestoredPid => _state.RestoredPid ?? RestoredByExtension;

    /// <summary>The iteration in progress, for error context.</summary>
    public int? OpenIteration => _state.OpenIteration;

    /// <summary>Serves requests until the source closes the connection.</summary>
    /// <exception cref="TransportException">The source broke the protocol, went silent, aborted, or left before the restore.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var receiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _pageServerFailed.Token);
        ProcessLostException? lostAtClose;
        try
        {
            while (await ReceiveRequestAsync(receiving.Token, cancellationToken).ConfigureAwait(false) is { } request)
            {
                var answer = await HandleAsync(request, cancellationToken).ConfigureAwait(false);
                if (answer is not null)
                    await _channel.SendAsync(answer, TransportPhase.AwaitingRequest, cancellationToken, OpenIteration).ConfigureAwait(false);
            }
            // Before the extensions end: a tree lost now was not migrated, and they must be told so.
            lostAtClose = LossAtTheEnd(null);
        }
        catch (TransportException broken) when (LossAtTheEnd(broken) is { } loss)
        {
            throw _channel.Failure(TransportPhase.PostCopyPages, $"{Describe(loss)}; the connection failed: {broken.Reason}", OpenIteration, loss);
        }
        catch (TransportException broken) when (RestoreFailure(broken) is { } failed)
        {
            // The source resumed its tree and went away (or aborted): what ended the session is the failed restore.
            throw failed;
        }
        finally
        {
            await EndExtensionsAsync().ConfigureAwait(false);
        }
        if (lostAtClose is { } lost)
            throw _channel.Failure(TransportPhase.PostCopyPages, $"the source closed the connection, and {Describe(lost)}", OpenIteration, lost);
        if (RestoredPid is null)
            throw RestoreFailure(null)
                  ?? _channel.Failure(TransportPhase.AwaitingRequest, "the source closed the connection before the tree was restored", OpenIteration);
    }

    /// <summary>This destination's own failed restore, when that is how the session ended; else null.</summary>
    private TransportException? RestoreFailure(Exception? then) =>
        RestoredPid is null && _state.RestoreFailure is { } failure
            ? new TransportException(TransportSide.Destination, TransportPhase.Restore,
                                     $"{failure}; the source resumed its tree", OpenIteration, _channel.PeerEndPoint, then)
            : null;

    /// <summary>The next request; a failure of the open iteration's page server ends the wait with that failure.</summary>
    private async Task<Envelope?> ReceiveRequestAsync(CancellationToken receiving, CancellationToken cancellationToken)
    {
        try
        {
            return await _channel.TryReceiveAsync(TransportPhase.AwaitingRequest, _options.Timeouts.Request, receiving, OpenIteration)
                                 .ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && _pageServerFailure is { } failure)
        {
            throw new TransportException(TransportSide.Destination, TransportPhase.FinalDump,
                                         $"the destination's {failure.Message.TrimEnd('.')}", OpenIteration, innerException: new AggregateException(failure, e));
        }
    }

    /// <summary>Watches the page server of a started iteration until it exits; a failure ends the session at once.</summary>
    private async Task WatchPageServerAsync(int iteration, CancellationToken cancellationToken)
    {
        try
        {
            if (await _target.PageServerFailureAsync(cancellationToken).ConfigureAwait(false) is not { } failure || _state.OpenIteration != iteration)
                return;
            _pageServerFailure = failure;
            _logger.PageServerFailedMidIteration(_id, iteration, failure.Message);
            await _pageServerFailed.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The iteration ended (its page server is reaped with it) or the session did.
        }
    }

    private async Task<Envelope?> HandleAsync(Envelope request, CancellationToken cancellationToken)
    {
        switch (request.BodyCase)
        {
            case Envelope.BodyOneofCase.StartIterRequest:
                return new Envelope { StartIterResult = await StartIterationAsync(request.StartIterRequest, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.StopIterRequest:
                return new Envelope { StopIterResult = await StopIterationAsync((int)request.StopIterRequest.Iteration, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.FileHeader:
                await ReceiveFileAsync(request.FileHeader, cancellationToken).ConfigureAwait(false);
                return null;
            case Envelope.BodyOneofCase.RestoreRequest:
                return new Envelope { RestoreResult = await RestoreAsync(request.RestoreRequest, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.CheckPostCopyRequest:
                return new Envelope { CheckPostCopyResult = await CheckPostCopyAsync(cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.LazyPagesRequest:
                return new Envelope { LazyPagesResult = await StartLazyPagesAsync(request.LazyPagesRequest, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.LazyRestoreRequest:
                return new Envelope { RestoreResult = await RestoreLazilyAsync(request.LazyRestoreRequest, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.WaitPagesRequest:
                return new Envelope { WaitPagesResult = await WaitForPagesAsync(cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.ParentPageMapsRequest:
                return new Envelope { ParentPageMapsResult = await SendParentPageMapsAsync(request.ParentPageMapsRequest.Ancestor, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.ExtensionRequest:
                return new Envelope { ExtensionResult = await HandleExtensionRequestAsync(request.ExtensionRequest, cancellationToken).ConfigureAwait(false) };
            case Envelope.BodyOneofCase.ExtensionStreamOpen:
                await ServeExtensionStreamAsync(request.ExtensionStreamOpen, cancellationToken).ConfigureAwait(false);
                return null;
            case Envelope.BodyOneofCase.LinkProbe:
                return AnswerLinkProbe(request.LinkProbe);
            case Envelope.BodyOneofCase.Abort:
                throw _channel.Aborted(request.Abort, TransportPhase.AwaitingRequest, OpenIteration);
            default:
                throw _channel.Unexpected(request, "a request (StartIter, StopIter, a file, Restore, a post-copy or an extension request)", TransportPhase.AwaitingRequest, OpenIteration);
        }
    }

    private Envelope? AnswerLinkProbe(LinkProbe probe)
    {
        _probeBytes += (ulong)probe.Filler.Length;
        if (!probe.Answer)
            return null;
        var answer = new Envelope { LinkProbeResult = new LinkProbeResult { FillerBytes = _probeBytes } };
        _probeBytes = 0;
        return answer;
    }

    private async Task<StartIterResult> StartIterationAsync(StartIterRequest request, CancellationToken cancellationToken)
    {
        var iteration = (int)request.Iteration;
        var result = new StartIterResult { Iteration = (uint)iteration };
        if (!_state.BeforeRestore)
            throw _channel.Failure(TransportPhase.StartIteration, "the source started an iteration after the tree was restored", iteration);
        if (_state.OpenIteration is { } open)
        {
            result.Error = $"iteration {open} is still running; stop it before starting iteration {iteration}";
            return result;
        }
        result.Error = request.Lazy
            ? await ErrorOfAsync(() => _target.StartLazyIterAsync(cancellationToken), "StartLazyIter", iteration).ConfigureAwait(false)
            : await ErrorOfAsync(() => _target.StartIterAsync((long)Math.Min(request.ExpectedBytes, long.MaxValue), cancellationToken), "StartIter", iteration)
                .ConfigureAwait(false);
        if (result.Error.Length == 0)
        {
            _state = _state.IterationStarted(iteration, request.Lazy);
            _logger.IterationStarted(_id, iteration);
            if (!request.Lazy)
                _ = WatchPageServerAsync(iteration, cancellationToken);
        }
        return result;
    }

    private async Task<StopIterResult> StopIterationAsync(int iteration, CancellationToken cancellationToken)
    {
        var result = new StopIterResult { Iteration = (uint)iteration };
        if (_state.OpenIteration is null)
        {
            result.Error = _state.RestoreStop is { } stopped && stopped.Iteration == iteration
                ? stopped.Error
                : $"no iteration is running on the destination (asked to stop iteration {iteration})";
            _state = _state.RestoreStopAnswered();
            return result;
        }
        result.Error = await StopOpenIterationAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Waits for the open iteration's page server; returns its error text, "" on success.</summary>
    private async Task<string> StopOpenIterationAsync(CancellationToken cancellationToken)
    {
        // Ended before the page server is, so that its watch takes its exit for the stop, not for a failure.
        var iteration = _state.OpenIteration!.Value;
        _state = _state.IterationStopped();
        var error = await ErrorOfAsync(() => _target.StopIterAsync(cancellationToken), "StopIter", iteration).ConfigureAwait(false);
        if (error.Length == 0)
            _logger.IterationStopped(_id, iteration);
        return error;
    }

    private async Task ReceiveFileAsync(FileHeader header, CancellationToken cancellationToken)
    {
        if (_state.OpenIteration is null || _target.LastImagesDir.Length == 0)
            throw _channel.Failure(TransportPhase.ImageTransfer, $"image file '{header.Name}' arrived while no iteration is running");
        await _receiver.ReceiveAsync(header, _target.LastImagesDir, OpenIteration, cancellationToken).ConfigureAwait(false);
        _logger.ImageFileReceived(_id, header.Name, header.Size);
    }

    public void Dispose()
    {
        _receiver.ReleaseSpace();
        _pageServerFailed.Dispose();
    }

    /// <summary>Runs a PhaulServer call; a failure becomes the error text the source receives.</summary>
    private async Task<string> ErrorOfAsync(Func<Task> call, string request, int iteration)
    {
        try
        {
            await call().ConfigureAwait(false);
            return "";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.IterationRequestFailed(_id, request, iteration, e.Message);
            return e.Message;
        }
    }
}
