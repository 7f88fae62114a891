using System.Globalization;

namespace Phaul;

/// <summary>
/// The numbered iteration directories <c>Wdir/0</c>, <c>Wdir/1</c>, ... of one side of one migration.
/// Each is created fresh: stale images from an earlier run must never mix with new ones.
/// </summary>
internal sealed class IterationDirectories(string wdir)
{
    private readonly string _root = Path.GetFullPath(wdir);

    /// <summary>How many iteration directories exist.</summary>
    public int Count { get; private set; }

    /// <summary>The absolute path of the newest directory, "" when there is none.</summary>
    public string Last => Count == 0 ? "" : PathOf(Count - 1);

    public string PathOf(int iteration) => Path.Combine(_root, iteration.ToString(CultureInfo.InvariantCulture));

    /// <summary>Creates the next directory and returns its absolute path.</summary>
    /// <exception cref="IOException">It exists already (the working directory was used before).</exception>
    public string CreateNext()
    {
        var path = PathOf(Count);
        if (Path.Exists(path))
            throw new IOException($"Iteration directory '{path}' already exists: give each migration an empty working directory.");
        Directory.CreateDirectory(path);
        Count++;
        return path;
    }

    /// <summary>The name of the link in an iteration directory to the previous one (CRIU's, and Phaul's for lazy iterations).</summary>
    public const string ParentLinkName = "parent";

    /// <summary>The directory <paramref name="iteration"/>'s parent link leads to, or <see langword="null"/> at the chain's start.</summary>
    public static string? ParentDirectoryOf(string iteration)
    {
        var link = Path.Combine(iteration, ParentLinkName);
        return Directory.Exists(link) ? link : null;
    }

    /// <summary>CRIU's <c>parent_img</c> for an iteration: the previous one, relative to its own directory.</summary>
    public static string ParentOf(int iteration) =>
        iteration > 0 ? "../" + (iteration - 1).ToString(CultureInfo.InvariantCulture) : "";

    /// <summary>
    /// Creates the directory that follows <paramref name="lastImagesPath"/> (an iteration directory under
    /// <paramref name="wdir"/>, or "" for none, giving <c>Wdir/0</c>) and returns its absolute path.
    /// </summary>
    public static string CreateAfter(string wdir, string lastImagesPath)
    {
        var directories = new IterationDirectories(wdir);
        if (lastImagesPath.Length > 0)
        {
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(lastImagesPath));
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var last))
                throw new ArgumentException($"'{lastImagesPath}' is not an iteration directory (Wdir/N).", nameof(lastImagesPath));
            directories.Count = last + 1;
        }
        return directories.CreateNext();
    }
}
