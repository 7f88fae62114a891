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
        var (files, bytes) = (0, 0L);
        foreach (var image in new DirectoryInfo(directory).EnumerateFiles("*.img", SearchOption.AllDirectories))
        {
            bytes += image.Length;
            image.Delete();
            files++;
        }
        return (files, bytes);
    }
}
