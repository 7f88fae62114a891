namespace Phaul;

/// <summary>
/// A directory opened without following a symbolic link (O_NOFOLLOW | O_DIRECTORY) and then used through its fd:
/// once it is open, a component of its path swapped for a symbolic link cannot redirect what is listed, opened or
/// deleted in it.
/// </summary>
internal sealed class OpenDirectory : IDisposable
{
    private readonly SafeFdHandle _handle;

    private OpenDirectory(SafeFdHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    /// <summary>The path it was opened by, for messages.</summary>
    public string Path { get; }

    /// <summary>
    /// A path to this very directory for this process and the processes it starts (/proc/PID/fd/N): the kernel
    /// resolves it to the open directory, not through the path it was opened by.
    /// </summary>
    public string FdPath => $"/proc/{Environment.ProcessId}/fd/{_handle.Fd}";

    private static int FollowingFlags => Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC;

    private static int Flags => FollowingFlags | Interop.O_NOFOLLOW;

    /// <summary>Opens <paramref name="path"/>; a symbolic link as its last component is refused, not followed.</summary>
    /// <exception cref="NativeCallException">It is a symbolic link or no directory (<see cref="IsNoDirectory"/>), or cannot be opened.</exception>
    public static OpenDirectory Open(string path) => Opened(Interop.Open(path, Flags, 0), path);

    /// <summary>
    /// Opens <paramref name="path"/>, a canonical path inside <paramref name="root"/> (or the root itself), one
    /// component at a time from the root: no symbolic link below the root is followed. The root, which whoever
    /// configured it chose, may be one.
    /// </summary>
    /// <exception cref="NativeCallException">A component is a symbolic link or no directory (<see cref="IsNoDirectory"/>), or cannot be opened; its path is in the message.</exception>
    public static OpenDirectory OpenBeneath(string root, string path)
    {
        var directory = Opened(Interop.Open(root, FollowingFlags, 0), root);
        foreach (var name in System.IO.Path.GetRelativePath(root, path).Split('/').Where(name => name != "."))
        {
            using var parent = directory;
            directory = parent.OpenSubdirectory(name);
        }
        return directory;
    }

    /// <summary>Opens its subdirectory <paramref name="name"/>; a symbolic link there is refused, not followed.</summary>
    /// <exception cref="NativeCallException">It is a symbolic link or no directory (<see cref="IsNoDirectory"/>), or cannot be opened.</exception>
    public OpenDirectory OpenSubdirectory(string name)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return Opened(Interop.Openat(_handle.Fd, name, Flags, 0), System.IO.Path.Combine(Path, name));
        }
        finally
        {
            if (added)
                _handle.DangerousRelease();
        }
    }

    /// <summary>Its entries, reached through <see cref="FdPath"/>; deleting one through its path deletes it here.</summary>
    public IEnumerable<FileSystemInfo> Entries() => new DirectoryInfo(FdPath).EnumerateFileSystemInfos();

    /// <summary>Whether an open failed because the path led to a symbolic link or something other than a directory.</summary>
    public static bool IsNoDirectory(NativeCallException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Errno is Interop.Errno.ELOOP or Interop.Errno.ENOTDIR;
    }

    private static OpenDirectory Opened(int fd, string path) =>
        fd >= 0 ? new OpenDirectory(new SafeFdHandle(fd), path) : throw NativeCallException.FromLastError("open", path);

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
