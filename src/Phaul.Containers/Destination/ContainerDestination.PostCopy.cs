using System.Diagnostics;
using Phaul.Transport;

namespace Phaul.Containers;

/// <summary>
/// The destination's post-copy, as a tree's: CRIU's lazy-pages daemon takes the session's memory connection as its
/// page-server socket, runc restores the container with its memory left to the daemon, and the answer goes back at once;
/// the memory follows while the container runs. One whose memory cannot all arrive is killed here: it would read zeros
/// where its pages are missing.
/// </summary>
internal sealed partial class ContainerDestination : IMemoryConnectionUser
{
    private const int DaemonLogLevel = 3;
    private static readonly TimeSpan DaemonReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PagesTimeout = TimeSpan.FromMinutes(10);

    private int? _memoryFd;
    private Task<ContainerWire.Restored>? _memoryFollowing;

    public void UseMemoryConnection(int criuFd) => _memoryFd = criuFd;

    private async Task<ContainerWire.Restored> LazyRestoreAsync(string id, string images, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var memoryFd = _memoryFd ?? throw new InvalidOperationException("this session has no memory connection for a post-copy restore");
        LazyPagesDaemon daemon;
        try
        {
            daemon = LazyPagesDaemon.Start(await WriteGuardAsync(id, cancellationToken).ConfigureAwait(false), memoryFd, images, DaemonLogLevel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LazyPagesDaemonException)
        {
            return DaemonDidNotStart(e);
        }
        ContainerWire.Restored restored;
        try
        {
            await daemon.WaitUntilListeningAsync(DaemonReadyTimeout, cancellationToken).ConfigureAwait(false);
            // The daemon listens in the images directory, where runc's restore, working there, looks for it.
            restored = await RestoreFromAsync(id, images, images, lazyPages: true, started, cancellationToken).ConfigureAwait(false);
        }
        catch (LazyPagesDaemonException e)
        {
            restored = DaemonDidNotStart(e);
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
        if (!_restored)
        {
            daemon.Dispose();
            EndMemoryConnection();
            return restored;
        }
        _memoryFollowing = FollowMemoryAsync(id, daemon, images, restored);
        return restored;
    }

    private void EndMemoryConnection()
    {
        if (_memoryFd is { } fd)
            Interop.Shutdown(fd, Interop.SHUT_RDWR);
    }

    private static ContainerWire.Restored DaemonDidNotStart(Exception why) =>
        new(false, 0, InDoubt: false, $"CRIU's lazy-pages daemon did not start: {why.Message}");

    /// <summary>How the post-copy ended, once the memory has followed (or failed to).</summary>
    private async Task<ContainerWire.Restored> LazyOutcomeAsync(ContainerWire.Outcome request)
    {
        if (request.Id != _id || _memoryFollowing is null)
            throw new InvalidOperationException($"no post-copy restore of container '{request.Id}' runs in this session");
        return await _memoryFollowing.ConfigureAwait(false);
    }

    private async Task<string> WriteGuardAsync(string id, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_bundle!, LazyPagesGuard.ScriptName);
        await File.WriteAllTextAsync(path, LazyPagesGuard.Script(CriuBinary.Resolve(options.Runtime?.CriuPath), _runtime.CommandLine("delete", "--force", id)), cancellationToken)
                  .ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    /// <summary>Waits until the daemon has moved every page; if it cannot, the container is killed here.</summary>
    private async Task<ContainerWire.Restored> FollowMemoryAsync(string id, LazyPagesDaemon daemon, string images, ContainerWire.Restored running)
    {
        using (daemon)
        {
            try
            {
                LazyPagesStatistics moved;
                try
                {
                    moved = await daemon.WaitForCompletionAsync(PagesTimeout, CancellationToken.None).ConfigureAwait(false);
                }
                finally
                {
                    // The source's CRIU waits for its client's end after the last page (or for any end, should the daemon fail).
                    EndMemoryConnection();
                }
                logger.ContainerMemoryArrived(id, moved.PagesTransferred ?? 0);
                RemoveImages(images);
                return running;
            }
            catch (LazyPagesDaemonException e)
            {
                var killed = await CleanUpFailedRestoreAsync(id).ConfigureAwait(false);
                if (killed)
                {
                    _restored = false;
                    RestoredPid = null;
                }
                logger.ContainerMemoryLost(id, killed, e);
                var why = $"container '{id}' ran here as pid {running.Pid}, then its memory could not all arrive ({e.Message}); " +
                          (killed ? "it was killed here" : "killing it here failed: it may still run, with pages missing");
                return running with { Running = false, InDoubt = !killed, Lost = true, Error = why };
            }
        }
    }
}
