namespace Phaul.Transport;

/// <summary>
/// The image files of a session that restored its tree: once the tree runs (and, with post-copy, has all its
/// pages), CRIU needs none of them, and its pages images are as large as the tree's memory. The logs and
/// statistics stay for diagnosis.
/// </summary>
internal static class SessionImages
{
    /// <summary>Deletes every <c>*.img</c> file under <paramref name="directory"/>; returns how many and their bytes.</summary>
    /// <exception cref="IOException">A file could not be deleted.</exception>
    public static (int Files, long Bytes) Remove(string directory)
    {
        using var open = OpenDirectory.Open(directory);
        return Remove(open);
    }

    // The restored tree may write here, and this runs as root: everything goes through the open directories' fds,
    // and no symbolic link is followed, when listed or when a directory was swapped for one after it was listed.
    private static (int Files, long Bytes) Remove(OpenDirectory directory)
    {
        var (files, bytes) = (0, 0L);
        foreach (var entry in directory.Entries().Where(entry => !entry.Attributes.HasFlag(FileAttributes.ReparsePoint)))
        {
            if (entry is DirectoryInfo && TryOpenSubdirectory(directory, entry.Name) is { } subdirectory)
            {
                using (subdirectory)
                {
                    var (subFiles, subBytes) = Remove(subdirectory);
                    (files, bytes) = (files + subFiles, bytes + subBytes);
                }
            }
            else if (entry is FileInfo image && image.Name.EndsWith(ImageFileName.Extension, StringComparison.Ordinal))
            {
                bytes += image.Length;
                image.Delete();
                files++;
            }
        }
        return (files, bytes);
    }

    private static OpenDirectory? TryOpenSubdirectory(OpenDirectory directory, string name)
    {
        try
        {
            return directory.OpenSubdirectory(name);
        }
        catch (NativeCallException e) when (OpenDirectory.IsNoDirectory(e))
        {
            return null; // swapped for a symbolic link since it was listed
        }
    }
}
