namespace Phaul;

/// <summary>Puts one dump's image files next to another's, e.g. the final dump's beside the page server's pages.</summary>
internal static class ImageLinker
{
    /// <summary>
    /// Hard-links every CRIU image (<c>*.img</c>) of <paramref name="from"/> into <paramref name="to"/>;
    /// copies where the two are on different file systems. Never overwrites.
    /// </summary>
    /// <returns>How many images were linked or copied.</returns>
    /// <exception cref="IOException">An image could not be linked or copied, e.g. one of that name exists.</exception>
    public static int LinkOrCopyImages(string from, string to) => LinkOrCopyImages(from, to, "*.img");

    /// <summary>As <see cref="LinkOrCopyImages(string, string)"/>, for the images whose names match <paramref name="pattern"/>.</summary>
    public static int LinkOrCopyImages(string from, string to, string pattern)
    {
        var count = 0;
        foreach (var source in Directory.EnumerateFiles(from, pattern))
        {
            var target = Path.Combine(to, Path.GetFileName(source));
            if (Interop.Link(source, target) != 0)
            {
                var error = NativeCallException.FromLastError("link", $"'{source}' to '{target}'");
                if (error.Errno != Interop.Errno.EXDEV)
                    throw error;
                File.Copy(source, target, overwrite: false);
            }
            count++;
        }
        return count;
    }
}
