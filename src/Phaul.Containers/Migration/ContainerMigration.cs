using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Phaul.FileSystem;
using Phaul.Transport;

namespace Phaul.Containers;

/// <summary>
/// Moves a running runc container to a destination whose listener has the container extension
/// (<see cref="ContainerTransport.WithContainers"/>), by stop-and-copy (or post-copy: <see cref="ContainerMigrationOptions.Strategy"/>,
/// where the memory follows after the restore): the destination makes its bundle; the container is
/// paused and checkpointed, staying paused here; its images cross the session's authenticated connection; the
/// destination restores it with runc; only then is it deleted here. Any failure before the destination's answer resumes
/// it here; without an answer it stays paused here (<see cref="ContainerMigrationException.HandOverInDoubt"/>). So it never
/// runs in two places, and is never lost. Its root file system must be on storage both hosts share, at the same path.
/// </summary>
/// <example>
/// <code>
/// await using var connection = await MigrationConnection.ConnectAsync(endPoint, PreSharedKey.LoadFile(keyPath));
/// var migration = new ContainerMigration(connection, new RuncRuntime(), workDirectory);
/// var report = await migration.MigrateAsync("web");
/// </code>
/// </example>
public sealed partial class ContainerMigration
{
    private readonly MigrationConnection _connection;
    private readonly RuncRuntime _runtime;
    private readonly string _workDirectory;
    private readonly ContainerMigrationOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;

    /// <summary>Creates one; nothing happens until <see cref="MigrateAsync"/>.</summary>
    /// <param name="connection">The session with the destination.</param>
    /// <param name="runtime">The runtime that runs the container here.</param>
    /// <param name="workDirectory">An existing directory for the checkpoint's images and CRIU's log.</param>
    /// <param name="loggerFactory">Where to log; null for nowhere.</param>
    /// <param name="options">How to move it; null for the defaults (a shared root file system).</param>
    public ContainerMigration(MigrationConnection connection, RuncRuntime runtime, string workDirectory, ILoggerFactory? loggerFactory = null,
                              ContainerMigrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(runtime);
        if (string.IsNullOrEmpty(workDirectory) || !Directory.Exists(workDirectory))
            throw new ArgumentException($"the work directory '{workDirectory}' is not a directory", nameof(workDirectory));
        _connection = connection;
        _runtime = runtime;
        _workDirectory = workDirectory;
        _options = options ?? ContainerMigrationOptions.Default;
        if (_options.Strategy == MigrationStrategy.Auto)
            throw new ArgumentException("containers migrate by the strategy asked for: stop-and-copy, post-copy, pre-copy or hybrid, not auto", nameof(options));
        if (_options.PreDumps is < 1 or > ContainerWire.MaxPreDumps)
            throw new ArgumentException($"ContainerMigrationOptions.PreDumps: {_options.PreDumps} is not from 1 to {ContainerWire.MaxPreDumps}", nameof(options));
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<ContainerMigration>();
    }

    /// <summary>Migrates the running container <paramref name="id"/>.</summary>
    /// <param name="id">The container, as this runtime knows it.</param>
    /// <param name="cancellationToken">
    /// Abandons the migration until the images have been sent (the container resumes here); once the destination was asked
    /// to restore, the migration waits for its answer (bounded by the connection's reply timeout).
    /// </param>
    /// <exception cref="ContainerRuntimeException">
    /// No such container, it is not running, its checkpoint failed, or post-copy cannot run from this host (the pipe size CRIU's
    /// page server needs): it runs here as before.
    /// </exception>
    /// <exception cref="ContainerMigrationException">The destination refused or failed; the message says where the container is.</exception>
    /// <exception cref="ProcessLostException">
    /// Post-copy only: the container ran on the destination, then its memory could not all follow; it was killed there and
    /// its stale copy deleted here.
    /// </exception>
    public async Task<ContainerMigrationReport> MigrateAsync(string id, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        if (MemoryFollows && PipeSizeRequirement.WhyInsufficient() is { } why)
            throw new ContainerRuntimeException($"post-copy cannot run from this host: {why}; nothing was done to container '{id}'");
        var state = await _runtime.GetStateAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new ContainerRuntimeException($"there is no container '{id}'" + (_runtime.Root is { } root ? $" in runc root {root}" : ""));
        var (network, hostPeers) = await ContainerNetworkReader.ReadAsync(state.Pid, cancellationToken).ConfigureAwait(false);
        var (prepared, sourceRoot) = await PrepareAsync(state, network, cancellationToken).ConfigureAwait(false);
        var files = _options.CopyRootFileSystem ? RootFileSystemCopy(sourceRoot, prepared.RootFileSystem) : null;
        var migrated = false;
        try
        {
            await CopyWhileRunningAsync(files, id, cancellationToken).ConfigureAwait(false);
            var preDumps = _options.Strategy is MigrationStrategy.PreCopy or MigrationStrategy.Hybrid
                ? await PreDumpAsync(id, cancellationToken).ConfigureAwait(false)
                : PreDumpTotals.None;
            var checkpoint = new RuncCheckpointOptions
            {
                ImagePath = Directory.CreateDirectory(Path.Combine(_workDirectory, "images")).FullName,
                WorkPath = Directory.CreateDirectory(Path.Combine(_workDirectory, "checkpoint-work")).FullName,
                TcpEstablished = true,
                ParentPath = preDumps.LastDirectory is { } last ? $"../{last}" : null,
            };
            var handOver = new HandOver(id, prepared.Bundle, checkpoint, new NetworkLock(hostPeers), files);
            var report = MemoryFollows
                ? await HandOverLazilyAsync(handOver, cancellationToken).ConfigureAwait(false)
                : await HandOverStoppedAsync(handOver, cancellationToken).ConfigureAwait(false);
            migrated = true;
            return report with
            {
                Strategy = _options.Strategy,
                PreDumps = preDumps.Rounds,
                PreDumpBytes = preDumps.Bytes,
                PreCopy = preDumps.Elapsed,
                Total = Stopwatch.GetElapsedTime(started),
            };
        }
        finally
        {
            await CompleteCopyAsync(files, id, migrated).ConfigureAwait(false);
        }
    }

    // Post-copy and hybrid end lazily: the memory follows the restore.
    private bool MemoryFollows => _options.Strategy is MigrationStrategy.PostCopy or MigrationStrategy.Hybrid;

    /// <summary>What both hand-overs work with.</summary>
    private sealed record HandOver(string Id, string DestinationBundle, RuncCheckpointOptions Checkpoint, NetworkLock Network, SubtreeFileSystem? Files);

    /// <summary>Stop-and-copy: every image, memory included, crosses while the container is paused.</summary>
    private async Task<ContainerMigrationReport> HandOverStoppedAsync(HandOver handOver, CancellationToken cancellationToken)
    {
        var sent = await CheckpointAndSendAsync(
            handOver, () => PausedCheckpoint.CreateAsync(_runtime, handOver.Id, handOver.Checkpoint, handOver.Network, _logger, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        var restored = await RestoreAsync(sent.Checkpoint).ConfigureAwait(false);
        var answered = Stopwatch.GetTimestamp();
        await sent.Checkpoint.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        return sent.Report(handOver, restored.Pid, answered);
    }

    /// <summary>The container paused and checkpointed, what changed in its root file system synced, its images sent.</summary>
    private async Task<ImagesSent> CheckpointAndSendAsync(HandOver handOver, Func<Task<PausedCheckpoint>> pauseAndCheckpoint,
                                                          CancellationToken cancellationToken)
    {
        var paused = Stopwatch.GetTimestamp();
        var checkpoint = await pauseAndCheckpoint().ConfigureAwait(false);
        var checkpointed = Stopwatch.GetTimestamp();
        await CopyWhilePausedAsync(handOver.Files, checkpoint, cancellationToken).ConfigureAwait(false);
        var synced = Stopwatch.GetTimestamp();
        var totals = await SendImagesAsync(checkpoint, cancellationToken).ConfigureAwait(false);
        return new ImagesSent(checkpoint, totals, paused, checkpointed, synced, Stopwatch.GetTimestamp());
    }

    /// <summary>A paused checkpoint whose images the destination has, with when each step ended (Stopwatch timestamps).</summary>
    private sealed record ImagesSent(PausedCheckpoint Checkpoint, ImageArchive.Totals Totals, long Paused, long Checkpointed, long Synced, long Transferred)
    {
        /// <summary>The report of a hand-over whose container ran on the destination at <paramref name="running"/>.</summary>
        public ContainerMigrationReport Report(HandOver handOver, int destinationPid, long running) => new()
        {
            Id = handOver.Id,
            Strategy = MigrationStrategy.StopAndCopy,
            DestinationPid = destinationPid,
            DestinationBundle = handOver.DestinationBundle,
            Frozen = Stopwatch.GetElapsedTime(Paused, running),
            Checkpoint = Stopwatch.GetElapsedTime(Paused, Checkpointed),
            RootFileSystemSync = Stopwatch.GetElapsedTime(Checkpointed, Synced),
            Transfer = Stopwatch.GetElapsedTime(Synced, Transferred),
            Restore = Stopwatch.GetElapsedTime(Transferred, running),
            ImageFiles = Totals.Files,
            ImageBytes = Totals.Bytes,
            Total = TimeSpan.Zero,
        };
    }

    // Logged, not thrown: the migration's outcome stands (the destination keeps or removes its copy by the session's end).
    private async Task CompleteCopyAsync(SubtreeFileSystem? files, string id, bool migrated)
    {
        if (files is null)
            return;
        try
        {
            await files.CompleteAsync(migrated, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileSystemMigrationException or TransportException or IOException)
        {
            _logger.RootFileSystemCopyNotCompleted(id, e);
        }
    }

    private SubtreeFileSystem RootFileSystemCopy(string sourceRoot, string destinationRoot) =>
        new(_connection.FileSystem(), new SubtreeFileSystemOptions { Subtrees = [new FileSystemSubtree(sourceRoot) { DestinationPath = destinationRoot }] },
            _loggerFactory);

    // The bulk of the copy, while the container runs: a failure here leaves it untouched.
    private static async Task CopyWhileRunningAsync(SubtreeFileSystem? files, string id, CancellationToken cancellationToken)
    {
        if (files is null)
            return;
        try
        {
            await files.BeforeIterationsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileSystemMigrationException or TransportException)
        {
            throw new ContainerMigrationException($"copying container '{id}''s root file system failed: {e.Message}. Nothing was done to it: it runs on here.", e);
        }
    }

    // What changed since, while the container is paused: nothing it does can race the copy.
    private static async Task CopyWhilePausedAsync(SubtreeFileSystem? files, PausedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        if (files is null)
            return;
        try
        {
            await files.WhileFrozenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await AbandonAsync(checkpoint, e).ConfigureAwait(false);
            if (e is OperationCanceledException)
                throw;
            throw new ContainerMigrationException(
                $"copying container '{checkpoint.Container.Id}''s root file system while it was paused failed: {e.Message}. It runs on here.", e);
        }
    }

    /// <returns>The destination's bundle, and the root file system here.</returns>
    private async Task<(ContainerWire.Prepared Prepared, string SourceRoot)> PrepareAsync(ContainerState state, ContainerWire.Network network,
                                                                                           CancellationToken cancellationToken)
    {
        var configPath = Path.Combine(state.Bundle, "config.json");
        var config = await File.ReadAllTextAsync(configPath, cancellationToken).ConfigureAwait(false);
        var root = RootFileSystem(state, config, configPath);
        var request = new ContainerWire.Envelope(new ContainerWire.Prepare(state.Id, config, root, network, _options.CopyRootFileSystem), null);
        try
        {
            var answer = await _connection.RequestAsync(ContainerWire.ExtensionName, ContainerWire.Write(request), cancellationToken).ConfigureAwait(false);
            return (ContainerWire.Read<ContainerWire.Prepared>(answer), root);
        }
        catch (Exception e) when (e is TransportException or InvalidDataException)
        {
            throw new ContainerMigrationException($"the destination did not take container '{state.Id}': {e.Message}. Nothing was done to it: it runs on here.", e);
        }
    }

    // A relative root.path is the bundle's own; the destination needs the path both hosts share.
    private static string RootFileSystem(ContainerState state, string config, string configPath)
    {
        try
        {
            var path = JsonNode.Parse(config)?["root"]?["path"]?.GetValue<string>()
                ?? throw new ContainerRuntimeException($"{configPath} names no root file system (root.path)");
            return Path.GetFullPath(path, state.Bundle);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ContainerRuntimeException($"{configPath} is not a container's configuration: {e.Message}", e);
        }
    }

    private async Task<ImageArchive.Totals> SendImagesAsync(PausedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        try
        {
            return await SendDirectoryAsync(ReadOnlyMemory<byte>.Empty, checkpoint.ImagePath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await AbandonAsync(checkpoint, e).ConfigureAwait(false);
            if (e is OperationCanceledException)
                throw;
            throw new ContainerMigrationException(
                $"sending container '{checkpoint.Container.Id}''s images failed: {e.Message}. The destination did not restore it; it runs on here.", e);
        }
    }

    /// <summary>Sends the files of <paramref name="directory"/> as one stream, and waits until the destination stored every one.</summary>
    private async Task<ImageArchive.Totals> SendDirectoryAsync(ReadOnlyMemory<byte> header, string directory, CancellationToken cancellationToken)
    {
        var stream = await _connection.OpenStreamAsync(ContainerWire.ExtensionName, header, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var totals = await ImageArchive.SendAsync(stream, directory, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            // The destination's end of the stream (or its failure) says it stored every file.
            while (await stream.ReadAsync(new byte[1], cancellationToken).ConfigureAwait(false) > 0)
            {
            }
            return totals;
        }
    }

    private async Task<ContainerWire.Restored> RestoreAsync(PausedCheckpoint checkpoint)
    {
        var id = checkpoint.Container.Id;
        ContainerWire.Restored answer;
        try
        {
            var request = ContainerWire.Write(new ContainerWire.Envelope(null, new ContainerWire.Restore(id)));
            answer = ContainerWire.Read<ContainerWire.Restored>(
                await _connection.RequestAsync(ContainerWire.ExtensionName, request, CancellationToken.None).ConfigureAwait(false));
        }
        catch (Exception e) when (e is TransportException or InvalidDataException)
        {
            throw InDoubt(checkpoint, $"the destination's answer to the restore did not arrive ({e.Message})", e);
        }
        if (answer.Running)
            return answer;
        if (answer.InDoubt)
            throw InDoubt(checkpoint, $"the destination's restore failed and it could not tell whether the container runs there ({answer.Error})", null);
        await AbandonAsync(checkpoint, null).ConfigureAwait(false);
        throw new ContainerMigrationException($"the destination could not restore container '{id}': {answer.Error}. It runs on here.");
    }

    private static async Task AbandonAsync(PausedCheckpoint checkpoint, Exception? failure)
    {
        try
        {
            await checkpoint.AbandonAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (ContainerRuntimeException resumeFailure)
        {
            throw new ContainerMigrationException(
                $"container '{checkpoint.Container.Id}': the migration failed{(failure is null ? "" : $" ({failure.Message})")} and resuming it here failed too, so it is paused here: {resumeFailure.Message}",
                resumeFailure);
        }
    }

    private ContainerMigrationException InDoubt(PausedCheckpoint checkpoint, string why, Exception? inner)
    {
        var id = checkpoint.Container.Id;
        var root = _runtime.Root is { } path ? $" --root {path}" : "";
        var network = checkpoint.DownHostPeers.Count == 0 ? ""
            : $", and bring its network up again ({string.Join("; ", checkpoint.DownHostPeers.Select(peer => $"'ip link set dev {peer} up'"))})";
        return new ContainerMigrationException(
            $"container '{id}': {why}. It is PAUSED here, not running, and may run on the destination: " +
            $"if 'runc list' there shows it running, delete it here ('runc{root} delete --force {id}'); if not, resume it here " +
            $"('runc{root} resume {id}'){network}.",
            handOverInDoubt: true, inner);
    }
}
