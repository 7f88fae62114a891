using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Phaul.FileSystem;

/// <summary>
/// The destination's end of a file-system migration on this machine: checks shared paths, prepares subtree
/// targets (absent or empty, under <see cref="FileSystemDestinationOptions.AllowedRoots"/>, none inside another,
/// and none another session of the same destination service holds),
/// runs the <c>rsync --server</c> each copy asks for after checking its arguments, in its target opened again
/// without following a symbolic link, and after a failed migration removes what was copied. Used directly for a migration
/// inside one machine, and by the transport's destination for each session (<see cref="FileSystemTransport.WithFileSystem"/>).
/// </summary>
public sealed class FileSystemDestination : IFileSystemDestination
{
    private readonly FileSystemDestinationOptions _options;
    private readonly ILogger _logger;
    private readonly FileSystemTargets _targets;
    private readonly List<string> _created = [];
    private FileSystemPlan? _plan;
    private string? _rsync;

    /// <summary>Creates the destination end.</summary>
    /// <param name="options">What it allows; null for the defaults (shared paths only).</param>
    /// <param name="loggerFactory">Where to log; null for nowhere.</param>
    public FileSystemDestination(FileSystemDestinationOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(options, loggerFactory, new FileSystemTargets())
    {
    }

    /// <summary>Creates the destination end of one of several migrations, whose targets <paramref name="targets"/> keeps apart.</summary>
    internal FileSystemDestination(FileSystemDestinationOptions? options, ILoggerFactory? loggerFactory, FileSystemTargets targets)
    {
        _options = options ?? new FileSystemDestinationOptions();
        _options.Validate();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FileSystemDestination>();
        _targets = targets;
    }

    /// <summary>The subtree targets this session may write, once prepared.</summary>
    public IReadOnlyCollection<string> PreparedPaths => _plan?.Mode == FileSystemMode.Subtree ? [.. _plan.Paths] : [];

    /// <inheritdoc/>
    public Task PrepareAsync(FileSystemPlan plan, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Paths is null || plan.Paths.Any(path => path is null) || !Enum.IsDefined(plan.Mode))
            throw new FileSystemMigrationException("The source's file-system plan has no valid mode or paths.");
        if (_plan is not null)
            throw new FileSystemMigrationException("The destination's file-system migration was prepared already.");
        var paths = plan.Paths.Select(path => RsyncServerArguments.Normalize(path)
                                              ?? throw new FileSystemMigrationException($"The destination path '{path}' is not absolute and canonical.")).ToList();
        if (plan.Mode == FileSystemMode.Shared)
        {
            if (paths.FirstOrDefault(path => !Path.Exists(path)) is { } missing)
                throw new FileSystemMigrationException($"The shared path '{missing}' does not exist on the destination; mount the shared storage there first.");
        }
        else
        {
            _rsync = RsyncProgram.Require(_options.RsyncPath, "destination");
            _targets.Hold(paths);
            try
            {
                CreateTargets(paths);
            }
            catch
            {
                _targets.Release(paths);
                throw;
            }
        }
        _plan = plan with { Paths = paths };
        _logger.FileSystemPrepared(plan.Mode, paths);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RunRsyncServerAsync(IReadOnlyList<string> serverArguments, Stream stdio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stdio);
        using var server = StartRsyncServer(serverArguments);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The source never ends its side of the stream on its own (it waits for this rsync): stop copying to
        // the server once the server is done.
        var input = CopyInputAsync(stdio, server, stop.Token);
        try
        {
            await server.Output.CopyToAsync(stdio, cancellationToken).ConfigureAwait(false);
            await stdio.FlushAsync(cancellationToken).ConfigureAwait(false);
            await server.WaitForSuccessAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(input).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Checks <paramref name="serverArguments"/> against the prepared plan, opens the target again without following
    /// a symbolic link below its allowed root, and starts <c>rsync --server</c> into that open directory; the caller
    /// joins its stdin and stdout to the source's rsync.
    /// </summary>
    /// <param name="serverArguments">What the source's rsync asked for, from "rsync" on.</param>
    /// <exception cref="FileSystemMigrationException">Not prepared for subtrees, the arguments are refused, or the target is no longer reached without a symbolic link.</exception>
    internal RsyncServerProcess StartRsyncServer(IReadOnlyList<string> serverArguments)
    {
        if (_plan?.Mode != FileSystemMode.Subtree || _rsync is null)
            throw new FileSystemMigrationException("The destination was not prepared for a subtree copy, so it runs no rsync.");
        var arguments = RsyncServerArguments.Validate(serverArguments, PreparedPaths);
        var target = RsyncServerArguments.Normalize(arguments[^1])!;
        var directory = OpenTarget(target);
        try
        {
            _logger.RsyncServerStarting(target, directory.FdPath);
            // rsync gets the open directory, not the path: a directory on the way swapped for a link from now on
            // (a copy into another target, the restored tree) cannot lead it elsewhere.
            return RsyncServerProcess.Start(_rsync, [.. arguments.SkipLast(1), directory.FdPath + "/"], directory);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Task CompleteAsync(bool migrated, CancellationToken cancellationToken)
    {
        var plan = _plan;
        _plan = null;
        if (plan?.Mode != FileSystemMode.Subtree)
            return Task.CompletedTask;
        try
        {
            if (!migrated)
                RemoveOrKeep(plan);
        }
        finally
        {
            // Only now: while a copy is removed, no other migration may prepare its target.
            _targets.Release(plan.Paths);
        }
        return Task.CompletedTask;
    }

    // Every target is checked before any is created: a refused plan leaves nothing behind.
    private void CreateTargets(List<string> paths)
    {
        paths.ForEach(CheckTarget);
        foreach (var path in paths.Where(path => !Directory.Exists(path)))
        {
            Directory.CreateDirectory(path);
            _created.Add(path);
        }
    }

    // Under an allowed root, and absent or empty: after a failure a created target is removed again and an
    // empty one emptied again, which leaves the destination as it was.
    private void CheckTarget(string path)
    {
        if (!_options.AllowedRoots.Any(root => FileSystemTargets.IsWithin(path, root)))
            throw new FileSystemMigrationException(
                $"The destination does not allow copies into '{path}': it is outside its allowed roots ({(_options.AllowedRoots.Count == 0 ? "none; start the destination with the roots it may write, e.g. phaul serve --fs-root DIR" : string.Join(", ", _options.AllowedRoots))}).");
        // A symlink on the way would lead rsync out of the allowed root.
        for (var step = path; step.Length > 1 && !_options.AllowedRoots.Contains(step); step = Path.GetDirectoryName(step)!)
        {
            if (new FileInfo(step).LinkTarget is { } target)
                throw new FileSystemMigrationException(
                    $"The destination does not copy into '{path}': '{step}' is a symbolic link (to '{target}'), which could lead out of its allowed roots.");
        }
        if (File.Exists(path) || (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any()))
            throw new FileSystemMigrationException(
                $"The destination path '{path}' exists and is not an empty directory; a subtree is copied into an absent or empty directory only, so that a failed migration can leave it as it was.");
    }

    // The deepest allowed root holding it: the one the checks when preparing stopped at.
    private OpenDirectory OpenTarget(string path)
    {
        var root = _options.AllowedRoots.Where(root => FileSystemTargets.IsWithin(path, root)).MaxBy(root => root.Length)!;
        try
        {
            return OpenDirectory.OpenBeneath(root, path);
        }
        catch (NativeCallException e)
        {
            throw new FileSystemMigrationException(OpenDirectory.IsNoDirectory(e)
                ? $"The destination does not copy into '{path}': '{e.Subject}' is a symbolic link or no directory by now (it was a directory when prepared), which could lead out of its allowed roots."
                : $"The destination cannot open '{path}' to copy into it: {e.Message}", e);
        }
    }

    private void RemoveOrKeep(FileSystemPlan plan)
    {
        if (plan.KeepOnFailure)
        {
            _logger.FileSystemKept(plan.Paths);
            return;
        }
        foreach (var path in plan.Paths)
            RemoveCopy(path);
    }

    private void RemoveCopy(string path)
    {
        if (!Directory.Exists(path))
            return;
        if (_created.Contains(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else
        {
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo directory && !directory.Attributes.HasFlag(FileAttributes.ReparsePoint))
                    directory.Delete(recursive: true);
                else
                    entry.Delete();
            }
        }
        _logger.FileSystemCopyRemoved(path);
    }

    private static async Task CopyInputAsync(Stream stdio, RsyncServerProcess server, CancellationToken cancellationToken)
    {
        try
        {
            await stdio.CopyToAsync(server.Input, cancellationToken).ConfigureAwait(false);
            server.EndInput();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The server is done (or gone: its exit code says why).
        }
    }
}
