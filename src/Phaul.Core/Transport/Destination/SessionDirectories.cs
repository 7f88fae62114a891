namespace Phaul.Transport;

/// <summary>
/// The session directories under a destination's Wdir. A session that ends, however it ends, leaves a marker file; a
/// directory without one belongs to a service that crashed (kill -9, a power loss) mid-session, and its image files,
/// as large as the tree's memory, are nobody's: a new listener removes them, keeping the logs.
/// </summary>
internal static class SessionDirectories
{
    /// <summary>The file that says a session ended (its directory is settled).</summary>
    public const string EndedMarker = "session-ended";

    public static void MarkEnded(string directory)
    {
        try
        {
            File.WriteAllText(Path.Combine(directory, EndedMarker), "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk: the next start removes the images of this unmarked session, which are gone already or useless.
        }
    }

    /// <summary>Removes the image files of every session directory under <paramref name="wdir"/> with no end marker; returns them.</summary>
    public static IReadOnlyList<(string Directory, int Files, long Bytes)> SettleCrashed(string wdir)
    {
        var settled = new List<(string, int, long)>();
        foreach (var directory in Directory.EnumerateDirectories(wdir))
        {
            if (File.Exists(Path.Combine(directory, EndedMarker)) || new DirectoryInfo(directory).LinkTarget is not null)
                continue;
            var (files, bytes) = SessionImages.Remove(directory);
            MarkEnded(directory);
            settled.Add((directory, files, bytes));
        }
        return settled;
    }
}
