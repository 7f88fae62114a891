namespace Phaul.Transport;

/// <summary>
/// Pre-shared keys in files: one line of hexadecimal digits, readable by the owner only (mode
/// 0600), the way <c>phaul keygen</c> writes them and <c>phaul serve</c>/<c>migrate</c> read them.
/// </summary>
public static class KeyFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    // A key file is one short line; anything much bigger is not a key file.
    private const long MaxFileBytes = 1024;

    /// <summary>Generates a new random key and writes it to a new file with mode 0600.</summary>
    /// <param name="path">The file to create; it must not exist, so an existing key is never overwritten.</param>
    /// <returns>The key written.</returns>
    /// <exception cref="IOException">The file exists or cannot be written.</exception>
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
        using (var writer = new StreamWriter(path, options))
            writer.WriteLine(key.ToHex());
        // The umask cannot widen 0600, but a pre-existing ACL default could; state the mode outright.
        File.SetUnixFileMode(path, OwnerOnly);
        return key;
    }

    /// <summary>Reads a key file, refusing one that the group or others may access.</summary>
    /// <param name="path">The key file.</param>
    /// <exception cref="ArgumentException">The file's content is not a valid key.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is accessible to the group or others.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static PreSharedKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"Key file '{path}' does not exist; create one with 'phaul keygen {path}'.", path);
        if ((info.UnixFileMode & GroupOrOthers) != 0)
            throw new UnauthorizedAccessException($"Key file '{path}' is accessible to its group or others (mode {Octal(info.UnixFileMode)}); run 'chmod 600 {path}'.");
        if (info.Length > MaxFileBytes)
            throw new ArgumentException($"Key file '{path}' has {info.Length} bytes; a key file is one line of at most {PreSharedKey.MaxLength * 2} hexadecimal digits.", nameof(path));
        try
        {
            return PreSharedKey.ParseHex(File.ReadAllText(path));
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Key file '{path}' does not hold a valid key: {e.Message}", nameof(path), e);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode, 8).PadLeft(4, '0');
}
