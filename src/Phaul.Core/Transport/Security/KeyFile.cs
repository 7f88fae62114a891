using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Phaul.Transport;

/// <summary>
/// Pre-shared keys in files: one line of hexadecimal digits, owned by the user who reads it and readable by that
/// user only (mode 0600), the way <c>phaul keygen</c> writes them and <c>phaul serve</c>/<c>migrate</c> read them.
/// Embedders reach it through <see cref="PreSharedKey.GenerateFile"/> and <see cref="PreSharedKey.LoadFile"/>.
/// </summary>
internal static class KeyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // A key file is one short line; anything much bigger is not a key file.
    private const int MaxFileBytes = 1024;

    /// <inheritdoc cref="PreSharedKey.GenerateFile"/>
    public static PreSharedKey Generate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var key = PreSharedKey.Generate();
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        };
        using var file = new FileStream(path, options);
        // The umask cannot widen 0600, but a default ACL could: state the mode on the file itself (never through the
        // path, which could lead elsewhere by now) and check it there before the key goes in.
        File.SetUnixFileMode(file.SafeFileHandle, OwnerOnly);
        var mode = File.GetUnixFileMode(file.SafeFileHandle);
        if (mode != OwnerOnly)
            throw new IOException($"Key file '{path}' has mode {FileStat.Octal(mode)} although 0600 was set; its file system does not keep modes, so choose another place.");
        using var writer = new StreamWriter(file);
        writer.WriteLine(key.ToHex());
        return key;
    }

    /// <inheritdoc cref="PreSharedKey.LoadFile"/>
    public static PreSharedKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var handle = Open(path);
        Check(FileStat.Of(handle, path), path);
        var content = Read(handle, path);
        try
        {
            return PreSharedKey.ParseHex(content);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Key file '{path}' does not hold a valid key: {e.Message}", nameof(path), e);
        }
    }

    // O_NOFOLLOW: a link could lead to any file, and the file checked must be the file read. O_NONBLOCK: a FIFO in
    // the key's place must not hang the open (it is refused once open).
    private static SafeFileHandle Open(string path)
    {
        var fd = Interop.Open(path, Interop.O_RDONLY | Interop.O_NOFOLLOW | Interop.O_NONBLOCK | Interop.O_CLOEXEC, 0);
        if (fd >= 0)
            return new SafeFileHandle(fd, ownsHandle: true);
        var error = NativeCallException.FromLastError("open", path);
        throw error.Errno switch
        {
            Interop.Errno.ENOENT => new FileNotFoundException($"Key file '{path}' does not exist; create one with 'phaul keygen {path}'.", path, error),
            Interop.Errno.ELOOP => new UnauthorizedAccessException($"Key file '{path}' is a symbolic link; give the path of the key file itself.", error),
            _ => error,
        };
    }

    private static void Check(FileStat file, string path)
    {
        if (file.Kind != FileKind.RegularFile)
            throw new IOException($"Key file '{path}' is not a regular file ({file.Kind}).");
        if (!file.IsOwnedByCurrentUser)
            throw new UnauthorizedAccessException($"Key file '{path}' is owned by uid {file.OwnerUid}, not by this user (uid {FileStat.CurrentUid}), who could replace the key; run 'chown {FileStat.CurrentUid} {path}' if it is this user's key.");
        if ((file.Mode & GroupOrOthers) != 0)
            throw new UnauthorizedAccessException($"Key file '{path}' is accessible to its group or others (mode {file.OctalMode}); run 'chmod 600 {path}'.");
        if (file.Size > MaxFileBytes)
            throw TooBig(path, $"{file.Size}");
    }

    // Read through the handle checked; one byte more than allowed tells a file that grew since.
    private static string Read(SafeFileHandle handle, string path)
    {
        var buffer = new byte[MaxFileBytes + 1];
        var length = 0;
        for (int read; length < buffer.Length && (read = RandomAccess.Read(handle, buffer.AsSpan(length), length)) > 0;)
            length += read;
        if (length > MaxFileBytes)
            throw TooBig(path, $"more than {MaxFileBytes}");
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static ArgumentException TooBig(string path, string bytes) =>
        new($"Key file '{path}' has {bytes} bytes; a key file is one line of at most {PreSharedKey.MaxLength * 2} hexadecimal digits.", nameof(path));
}
