using System.Diagnostics;
using Phaul.Transport;

namespace Phaul.Containers;

public sealed partial class ContainerMigration
{
    /// <summary>What the pre-dumps did: the last one's directory (the final dump's parent), how many, their bytes, their time.</summary>
    private sealed record PreDumpTotals(string? LastDirectory, int Rounds, long Bytes, TimeSpan Elapsed)
    {
        public static PreDumpTotals None { get; } = new(null, 0, 0, TimeSpan.Zero);
    }

    /// <summary>
    /// Pre-copy's rounds while the container runs: each runc pre-dump writes the memory changed since the previous one
    /// (its parent), and its images cross to the destination before the next. A failure leaves the container running here.
    /// </summary>
    private async Task<PreDumpTotals> PreDumpAsync(string id, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string? parent = null;
        long bytes = 0;
        for (var round = 1; round <= _options.PreDumps; round++)
        {
            var name = ContainerWire.PreDumpDirectory(round);
            var checkpoint = new RuncCheckpointOptions
            {
                ImagePath = Directory.CreateDirectory(Path.Combine(_workDirectory, name)).FullName,
                WorkPath = Directory.CreateDirectory(Path.Combine(_workDirectory, name + "-work")).FullName,
                ParentPath = parent is null ? null : $"../{parent}",
            };
            try
            {
                await _runtime.PreDumpAsync(id, checkpoint, cancellationToken).ConfigureAwait(false);
            }
            catch (ContainerRuntimeException e)
            {
                throw new ContainerRuntimeException(
                    $"{_options.Strategy} cannot move container '{id}': its pre-dump {round} failed ({e.Message}); nothing was done to it: it runs on here",
                    e.ExitCode, e.CriuLogTail);
            }
            bytes += await SendPreDumpAsync(id, round, checkpoint.ImagePath, cancellationToken).ConfigureAwait(false);
            _logger.PreDumpSent(id, round, bytes);
            parent = name;
        }
        return new PreDumpTotals(parent, _options.PreDumps, bytes, Stopwatch.GetElapsedTime(started));
    }

    private async Task<long> SendPreDumpAsync(string id, int round, string directory, CancellationToken cancellationToken)
    {
        try
        {
            var header = ContainerWire.Write(new ContainerWire.PreDump(round));
            return (await SendDirectoryAsync(header, directory, cancellationToken).ConfigureAwait(false)).Bytes;
        }
        catch (Exception e) when (e is TransportException or IOException)
        {
            throw new ContainerMigrationException($"sending container '{id}''s pre-dump {round} failed: {e.Message}. Nothing was done to it: it runs on here.", e);
        }
    }
}
