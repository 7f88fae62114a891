using Phaul.Rpc;

namespace Phaul;

// The break path and the exceptions a request ends with.
internal sealed partial class SwrkSession
{
    private const int OutputTailLines = 10;

    /// <summary>Marks the session broken, kills CRIU and closes the socket; returns <paramref name="reason"/> to throw.</summary>
    private Exception Break(Exception reason)
    {
        State = SwrkSessionState.Broken;
        CriuLog.SessionBroken(_logger, reason, Pid);
        _process.Kill();
        _channel.Dispose();
        return reason;
    }

    /// <summary>CRIU closed its socket (or it broke) before answering: say how CRIU ended and what it printed.</summary>
    private async Task<Exception> BreakOnDeathAsync(CriuReq request, Exception? cause)
    {
        if (_disposed)
            return Break(new CriuException(request.Type, "the CRIU session was ended (Cleanup or Dispose) while the request ran",
                                           innerException: cause));
        State = SwrkSessionState.Broken;
        _channel.Dispose();
        var exit = await _process.EndAsync(ExitGrace).ConfigureAwait(false);
        var output = _process.OutputTail(OutputTailLines);
        var message = $"criu swrk (pid {Pid}) {exit} before answering" + Quote("its output ended with", output);
        return Break(new CriuException(request.Type, message, CriuFailureDetails.FromLog(CriuLogLocation.Of(request.Opts)), cause));
    }

    /// <summary>The exception for a request CRIU failed, or that a notify handler failed.</summary>
    private CriuException Failed(CriuReq request, CriuResp response, NotifyDispatcher dispatcher)
    {
        var details = CriuFailureDetails.FromLog(CriuLogLocation.Of(request.Opts), response.HasCrErrno ? response.CrErrno : null,
                                                 response.HasCrErrmsg ? response.CrErrmsg : null);
        var message = response.Success ? "CRIU completed the request, but" : "CRIU reported failure";
        if (dispatcher.Failure is { } failure)
        {
            // The handler's failure is the cause; CRIU's log only reports its consequence.
            details = details with { Cause = null };
            message += $"{(response.Success ? "" : ";")} the {dispatcher.FailedScript} notify handler threw: {failure.Message}";
        }
        // Errors CRIU meets before its log is open (bad options) only reach its output.
        if (details.LogTail.Count == 0)
            message += Quote("criu swrk's output ended with", _process.OutputTail(OutputTailLines));
        return new CriuException(request.Type, message, details, dispatcher.Failure);
    }

    private static string Quote(string heading, IReadOnlyList<string> lines) =>
        lines.Count == 0 ? "" : $"; {heading}:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}";
}
