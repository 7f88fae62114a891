using System.Runtime.InteropServices;

namespace Phaul;

/// <summary>
/// What the kernel says about one file (statx): its kind, permission bits, owner and size. Read from a path
/// without following a symbolic link there, or from an open handle, so that a check applies to the very file used.
/// </summary>
internal readonly record struct FileStat(FileKind Kind, UnixFileMode Mode, uint OwnerUid, long Size)
{
    private const uint Wanted = Interop.STATX_TYPE | Interop.STATX_MODE | Interop.STATX_UID | Interop.STATX_SIZE;

    private const UnixFileMode GroupOrOthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    /// <summary>The effective uid of this process: the owner a file must have to count as ours.</summary>
    public static uint CurrentUid => Interop.Geteuid();

    /// <summary>Whether the effective uid of this process owns the file.</summary>
    public bool IsOwnedByCurrentUser => OwnerUid == CurrentUid;

    /// <summary>Whether its group or others may change it (or, for a directory, add, remove and rename entries).</summary>
    public bool IsWritableByOthers => (Mode & GroupOrOthersWrite) != 0;

    /// <summary>The permission bits as chmod writes them, e.g. "0644".</summary>
    public string OctalMode => Octal(Mode);

    /// <summary>Permission bits as chmod writes them, e.g. "0644".</summary>
    public static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');

    /// <summary>Describes <paramref name="path"/> itself: a symbolic link there is described, not followed (like lstat).</summary>
    /// <exception cref="NativeCallException">statx failed (ENOENT when nothing is there).</exception>
    public static FileStat OfPath(string path)
    {
        if (Interop.Statx(Interop.AT_FDCWD, path, Interop.AT_SYMLINK_NOFOLLOW, Wanted, out var buffer) != 0)
            throw NativeCallException.FromLastError("statx", path);
        return From(buffer);
    }

    /// <summary>Describes the open file <paramref name="handle"/> (like fstat); <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="NativeCallException">statx failed.</exception>
    public static FileStat Of(SafeHandle handle, string path)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            if (Interop.Statx(fd, "", Interop.AT_EMPTY_PATH, Wanted, out var buffer) != 0)
                throw NativeCallException.FromLastError("statx", path);
            return From(buffer);
        }
        finally
        {
            if (added)
                handle.DangerousRelease();
        }
    }

    private static FileStat From(in Interop.StatxBuffer buffer)
    {
        var kind = (buffer.Mode & Interop.S_IFMT) switch
        {
            Interop.S_IFREG => FileKind.RegularFile,
            Interop.S_IFDIR => FileKind.Directory,
            Interop.S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
        return new FileStat(kind, (UnixFileMode)(buffer.Mode & ~Interop.S_IFMT), buffer.Uid, checked((long)buffer.Size));
    }
}
