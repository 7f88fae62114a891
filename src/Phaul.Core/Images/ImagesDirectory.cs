namespace Phaul;

/// <summary>
/// An open directory whose fd can go into <c>CriuOpts.ImagesDirFd</c> (or <c>WorkDirFd</c>):
/// <c>using var dir = ImagesDirectory.Open(path); opts.ImagesDirFd = dir.Fd;</c>. The fd is
/// close-on-exec; CRIU opens it through /proc of this process, so it need not be inherited.
/// </summary>
public sealed class ImagesDirectory : IDisposable
{
    private readonly SafeFdHandle _handle;

    private ImagesDirectory(string path, SafeFdHandle handle)
    {
        Path = path;
        _handle = handle;
    }

    /// <summary>Opens an existing directory.</summary>
    /// <param name="path">The directory.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist, or <paramref name="path"/> is not a directory.</exception>
    /// <exception cref="IOException">The directory cannot be opened (errno and its text in the message).</exception>
    public static ImagesDirectory Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        var fd = Interop.Open(fullPath, Interop.O_RDONLY | Interop.O_DIRECTORY | Interop.O_CLOEXEC, 0);
        if (fd >= 0)
            return new ImagesDirectory(fullPath, new SafeFdHandle(fd));
        var error = NativeCallException.FromLastError("open", fullPath);
        throw error.Errno is Interop.Errno.ENOENT or Interop.Errno.ENOTDIR
            ? new DirectoryNotFoundException($"Images directory '{fullPath}' {(error.Errno == Interop.Errno.ENOENT ? "does not exist" : "is not a directory")}.", error)
            : error;
    }

    /// <summary>The directory's absolute path.</summary>
    public string Path { get; }

    /// <summary>The open fd, valid until disposed.</summary>
    /// <exception cref="ObjectDisposedException">Disposed.</exception>
    public int Fd
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.Fd;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _handle.Dispose();
}
