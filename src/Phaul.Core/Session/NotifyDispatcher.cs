using Microsoft.Extensions.Logging;
using Phaul.Rpc;

namespace Phaul;

/// <summary>
/// Turns CRIU's notify messages into <see cref="ICriuNotify"/> calls and decides the answer. A
/// throwing handler makes the answer "failed", which makes CRIU fail the operation; the first
/// such exception is kept so the caller sees it. Scripts ICriuNotify has no method for
/// (pre-resume, query-ext-files, ...) are answered "succeeded".
/// </summary>
internal sealed class NotifyDispatcher(ICriuNotify? handler, ILogger logger)
{
    /// <summary>The first exception a handler threw, if any.</summary>
    public Exception? Failure { get; private set; }

    /// <summary>The script whose handler threw <see cref="Failure"/>.</summary>
    public string? FailedScript { get; private set; }

    private volatile bool _failFromNowOn;

    /// <summary>Answers every later notification with a failure, without calling the handler: the request was cancelled.</summary>
    public void FailFromNowOn() => _failFromNowOn = true;

    /// <summary>Runs the handler for <paramref name="notify"/>; returns the notify_success to answer.</summary>
    public async Task<bool> DispatchAsync(CriuNotify notify)
    {
        CriuLog.NotifyReceived(logger, notify.Script, notify.Pid);
        if (_failFromNowOn)
        {
            CriuLog.NotifyFailedOnCancellation(logger, notify.Script);
            return false;
        }
        if (handler is null)
            return true;
        try
        {
            await Invoke(handler, notify).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            CriuLog.NotifyHandlerFailed(logger, e, notify.Script);
            if (Failure is null)
            {
                Failure = e;
                FailedScript = notify.Script;
            }
            return false;
        }
    }

    private static Task Invoke(ICriuNotify handler, CriuNotify notify) => notify.Script switch
    {
        "pre-dump" => handler.PreDumpAsync(),
        "post-dump" => handler.PostDumpAsync(),
        "pre-restore" => handler.PreRestoreAsync(),
        "post-restore" => handler.PostRestoreAsync(notify.Pid),
        "network-lock" => handler.NetworkLockAsync(),
        "network-unlock" => handler.NetworkUnlockAsync(),
        "setup-namespaces" => handler.SetupNamespacesAsync(notify.Pid),
        "post-setup-namespaces" => handler.PostSetupNamespacesAsync(),
        "post-resume" => handler.PostResumeAsync(),
        _ => Task.CompletedTask,
    };
}
