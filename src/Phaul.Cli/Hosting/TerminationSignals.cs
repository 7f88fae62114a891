using System.Runtime.InteropServices;

namespace Phaul.Cli.Hosting;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM as a <see cref="CancellationToken"/>: the first one asks the running
/// command to stop and clean up (a migration leaves the tree running on the source); a second
/// SIGINT or SIGTERM gets the default handling and ends the process at once.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public TerminationSignals()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _requested.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (_requested.IsCancellationRequested)
            return;
        context.Cancel = true;
        _requested.Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _requested.Dispose();
    }
}
