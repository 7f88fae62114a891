using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.FileSystem;

/// <summary>
/// Copies directory trees to the destination with rsync: everything while the tree runs, what changed
/// after each pre-dump, and the last changes during the freeze. rsync keeps what <c>rsync -a</c> keeps
/// (permissions, owners by number, times to the nanosecond, symlinks, devices) plus hard links, sparse
/// files, ACLs and extended attributes, and deletes at the destination what is gone at the source. Give it to
/// <see cref="PhaulClientOptions.Hooks"/>; each phase's figures are rsync's counts (filesTransferred, filesDeleted,
/// bytesSent, bytesReceived).
/// </summary>
/// <remarks>
/// The source's rsync reaches the destination's <c>rsync --server</c> through <see cref="IFileSystemDestination"/>:
/// a <see cref="FileSystemDestination"/> on this machine, or Phaul.Transport's authenticated connection.
/// When the destination cannot keep ACLs or extended attributes (rsync reports "Operation not supported"),
/// the bulk copy is repeated without them, and so are later copies.
/// </remarks>
public sealed class SubtreeFileSystem : IMigrationHook
{
    /// <summary>The <see cref="IMigrationHook.Name"/> of the file-system hooks.</summary>
    internal const string HookName = "files";

    // -a without -l's siblings spelt out: recursion, links, permissions, times, group, owner, devices;
    // then hard links, sparse files, numeric owners (CRIU restores ids, not names), deletions, statistics,
    // and nanosecond mtimes in the quick check (a file rewritten within the same second is still sent).
    private static readonly string[] BaseOptions = ["-rlptgoD", "-H", "-S", "--numeric-ids", "--delete", "--stats", "--modify-window=-1"];
    private static readonly string[] AclAndXattrOptions = ["-A", "-X"];

    private readonly IFileSystemDestination _destination;
    private readonly SubtreeFileSystemOptions _options;
    private readonly ILogger _logger;
    private bool _withAclsAndXattrs = true;
    private bool _prepared;

    /// <summary>Creates the copier; nothing runs before <see cref="BeforeIterationsAsync"/>.</summary>
    /// <param name="destination">The destination's end.</param>
    /// <param name="options">What to copy.</param>
    /// <param name="loggerFactory">Where to log; null for nowhere.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public SubtreeFileSystem(IFileSystemDestination destination, SubtreeFileSystemOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _destination = destination;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SubtreeFileSystem>();
    }

    /// <summary>
    /// A copier for a destination on this machine (the destination paths must differ from the sources, e.g.
    /// with <see cref="FileSystemSubtree.DestinationPath"/>, or lie in another mount namespace).
    /// </summary>
    /// <param name="options">What to copy; the destination allows exactly these targets.</param>
    /// <param name="loggerFactory">Where to log; null for nowhere.</param>
    public static SubtreeFileSystem OnThisMachine(SubtreeFileSystemOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var destination = new FileSystemDestination(
            new FileSystemDestinationOptions { AllowedRoots = [.. options.Subtrees.Select(subtree => subtree.Target)], RsyncPath = options.RsyncPath },
            loggerFactory);
        return new SubtreeFileSystem(destination, options, loggerFactory);
    }

    /// <inheritdoc/>
    public string Name => HookName;

    /// <summary>Prepares the destination (its targets absent or empty, rsync installed) and copies everything.</summary>
    /// <param name="cancellationToken">Abandons the copy.</param>
    /// <returns>rsync's counts.</returns>
    /// <exception cref="FileSystemMigrationException">A check or the copy failed; the message names the side, path or program.</exception>
    public async Task<IReadOnlyDictionary<string, long>> BeforeIterationsAsync(CancellationToken cancellationToken)
    {
        var rsync = RsyncProgram.Require(_options.RsyncPath, "source");
        _prepared = true;
        await _destination.PrepareAsync(new FileSystemPlan(FileSystemMode.Subtree, [.. _options.Subtrees.Select(subtree => subtree.Target)],
                                                           _options.KeepOnFailure), cancellationToken).ConfigureAwait(false);
        return (await CopyAllAsync(rsync, MigrationHookPhase.BeforeIterations, cancellationToken).ConfigureAwait(false)).ToFigures();
    }

    /// <summary>Copies what changed since the last copy.</summary>
    /// <param name="iteration">The pre-dump iteration that just ended.</param>
    /// <param name="cancellationToken">Abandons the copy.</param>
    /// <returns>rsync's counts.</returns>
    /// <exception cref="FileSystemMigrationException">The copy failed.</exception>
    public async Task<IReadOnlyDictionary<string, long>> AfterPreDumpAsync(int iteration, CancellationToken cancellationToken) =>
        (await CopyAllAsync(RsyncProgram.Require(_options.RsyncPath, "source"), MigrationHookPhase.AfterPreDump, cancellationToken)
            .ConfigureAwait(false)).ToFigures();

    /// <summary>Copies the last changes, so that nothing written before the freeze is lost.</summary>
    /// <param name="cancellationToken">Abandons the copy (and so the dump).</param>
    /// <returns>rsync's counts.</returns>
    /// <exception cref="FileSystemMigrationException">The copy failed: the dump fails, and the tree resumes on the source.</exception>
    public async Task<IReadOnlyDictionary<string, long>> WhileFrozenAsync(CancellationToken cancellationToken) =>
        (await CopyAllAsync(RsyncProgram.Require(_options.RsyncPath, "source"), MigrationHookPhase.WhileFrozen, cancellationToken)
            .ConfigureAwait(false)).ToFigures();

    /// <inheritdoc/>
    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken) =>
        _prepared ? _destination.CompleteAsync(migrated, cancellationToken) : Task.CompletedTask;

    private async Task<FileSystemTransfer> CopyAllAsync(string rsync, MigrationHookPhase phase, CancellationToken cancellationToken)
    {
        var total = FileSystemTransfer.None;
        var client = new RsyncClient(rsync, _destination);
        foreach (var subtree in _options.Subtrees)
        {
            var copied = await CopyAsync(client, subtree, phase, cancellationToken).ConfigureAwait(false);
            _logger.SubtreeCopied(phase, subtree.Path, subtree.Target, copied.FilesTransferred, copied.FilesDeleted,
                                  copied.BytesSent, copied.BytesReceived);
            total = total.Add(copied);
        }
        return total;
    }

    private async Task<FileSystemTransfer> CopyAsync(RsyncClient client, FileSystemSubtree subtree, MigrationHookPhase phase,
                                                     CancellationToken cancellationToken)
    {
        try
        {
            return await client.CopyAsync(Options(), subtree.Path, subtree.Target, cancellationToken).ConfigureAwait(false);
        }
        catch (FileSystemMigrationException e) when (phase == MigrationHookPhase.BeforeIterations && _withAclsAndXattrs && IsUnsupported(e))
        {
            _logger.AclsAndXattrsDropped(subtree.Path, e.Message);
            _withAclsAndXattrs = false;
            return await client.CopyAsync(Options(), subtree.Path, subtree.Target, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<string> Options() =>
        [.. BaseOptions, .. _withAclsAndXattrs ? AclAndXattrOptions : [], .. _options.Excludes.Select(pattern => $"--exclude={pattern}")];

    // rsync's code 23 (partial transfer) with ACLs or xattrs the receiving filesystem refused.
    private static bool IsUnsupported(FileSystemMigrationException failure) =>
        failure.Message.Contains("code 23", StringComparison.Ordinal) &&
        failure.Message.Contains("Operation not supported", StringComparison.Ordinal);
}
