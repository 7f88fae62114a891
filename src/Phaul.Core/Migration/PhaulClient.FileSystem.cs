using System.Diagnostics;

namespace Phaul;

public sealed partial class PhaulClient
{
    /// <summary>Runs one file-system copy (when files migrate) and records it in the report.</summary>
    private async Task CopyFileSystemAsync(MigrationRun run, FileSystemPhase phase, int? iteration,
                                           Func<IFileSystemMigration, Task<FileSystemTransfer>> copy)
    {
        if (_options.FileSystem is not { } fileSystem)
            return;
        if (phase != FileSystemPhase.Freeze)
            run.Enter(MigrationStep.CopyFileSystem, iteration);
        var started = Stopwatch.GetTimestamp();
        var transfer = await copy(fileSystem).ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started);
        run.RecordFileSystemPhase(new FileSystemPhaseReport { Phase = phase, Iteration = iteration, Transfer = transfer, Duration = duration });
        _logger.FileSystemPhaseCompleted(phase, duration);
    }

    /// <summary>The CRIU the final stage gets: with the freeze copy in its dump's post-dump notification when files migrate.</summary>
    private ICriu WithFreezeCopy(ICriu criu, MigrationRun run, CancellationToken cancellationToken)
    {
        if (_options.FileSystem is null)
            return criu;
        var wrapped = new FreezeCopyCriu(criu, async () =>
        {
            try
            {
                await CopyFileSystemAsync(run, FileSystemPhase.Freeze, null, fileSystem => fileSystem.CopyFrozenAsync(cancellationToken))
                    .ConfigureAwait(false);
            }
            catch (Exception failure)
            {
                _logger.FreezeCopyFailed(failure);
                throw;
            }
        });
        run.FreezeCopy = wrapped;
        return wrapped;
    }

    /// <summary>
    /// Ends the file-system migration. After a failure its own failure is logged, not thrown: the migration's is
    /// the one to report. After a success too: the tree runs on the destination by then.
    /// </summary>
    private async Task CompleteFileSystemAsync(bool migrated)
    {
        if (_options.FileSystem is not { } fileSystem)
            return;
        try
        {
            await fileSystem.CompleteAsync(migrated, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Logged; the migration's outcome stands.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            _logger.FileSystemCompletionFailed(migrated, failure);
        }
    }
}
