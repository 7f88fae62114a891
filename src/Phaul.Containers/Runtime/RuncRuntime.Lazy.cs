using System.Globalization;
using System.Net;

namespace Phaul.Containers;

public sealed partial class RuncRuntime
{
    /// <summary>
    /// Starts <c>runc checkpoint --lazy-pages</c>: CRIU dumps the container without its memory, then serves the memory on
    /// <paramref name="pageServer"/> (TCP) to one lazy-pages daemon until it has all of it, and only then does runc end.
    /// </summary>
    internal LazyCheckpointRun StartLazyCheckpoint(string id, RuncCheckpointOptions checkpoint, IPEndPoint pageServer)
    {
        CheckId(id);
        var status = ReadinessPipe.Create();
        try
        {
            var process = ChildProcess.Start(ResolveBinary(),
                [.. GlobalArguments(), .. CheckpointArguments(checkpoint),
                 "--lazy-pages", "--page-server", pageServer.ToString(), "--status-fd", "3", id],
                [status.WriteFd], "phaul-runc-output");
            status.CloseWriteEnd();
            return new LazyCheckpointRun(this, process, status, CheckpointWhat(id, checkpoint), DumpLog(checkpoint), _options.CommandTimeout);
        }
        catch
        {
            status.Dispose();
            throw;
        }
    }
}

/// <summary>One <c>runc checkpoint --lazy-pages</c> while it runs: first it dumps, then it serves the memory.</summary>
internal sealed class LazyCheckpointRun(RuncRuntime runtime, ChildProcess process, ReadinessPipe status, string what, string dumpLog,
                                        TimeSpan dumpTimeout) : IDisposable
{
    private Task<ContainerRuntimeException?>? _end;

    /// <summary>CRIU's dump.log.</summary>
    public string DumpLog => dumpLog;

    /// <summary>
    /// Waits until the images are written and CRIU listens for the lazy-pages daemon. Not cancellable: CRIU works inside
    /// the container's processes until then, and must not be killed there.
    /// </summary>
    /// <exception cref="ContainerRuntimeException">runc ended (its failure) or did not get there in time (runc killed).</exception>
    public async Task WaitUntilServingAsync()
    {
        var signal = await status.WaitAsync(dumpTimeout, CancellationToken.None).ConfigureAwait(false);
        if (signal == ReadinessPipe.Signal.Ready)
            return;
        var exited = signal == ReadinessPipe.Signal.Closed && await process.WaitForExitAsync(dumpTimeout, CancellationToken.None).ConfigureAwait(false);
        var outcome = ExternalCommand.OutcomeOf(process, exited, dumpTimeout);
        throw outcome.Succeeded
            ? new ContainerRuntimeException($"runc ended {what} without serving its memory")
            : runtime.Failure(outcome, what, dumpLog);
    }

    /// <summary>Waits until runc ends, which it does once its memory was served or the daemon's connection ended.</summary>
    /// <returns>Null when every page was served; else why not (runc killed after <paramref name="timeout"/>). Every call gets the first call's outcome.</returns>
    public Task<ContainerRuntimeException?> WaitForEndAsync(TimeSpan timeout)
    {
        lock (status)
            return _end ??= EndAsync(timeout);
    }

    private async Task<ContainerRuntimeException?> EndAsync(TimeSpan timeout)
    {
        var exited = await process.WaitForExitAsync(timeout, CancellationToken.None).ConfigureAwait(false);
        var outcome = ExternalCommand.OutcomeOf(process, exited, timeout);
        return outcome.Succeeded ? null : runtime.Failure(outcome, what, dumpLog);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"runc pid {process.Pid} {what}");

    public void Dispose()
    {
        process.Dispose();
        status.Dispose();
    }
}
