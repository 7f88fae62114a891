using System.Buffers;

namespace Phaul.Transport;

/// <summary>
/// The names a destination accepts for received image files: one plain path component made of
/// the characters CRIU's image names use, so a peer can never write outside the iteration directory,
/// and ending in <see cref="Extension"/>, like every CRIU image, so that removing a session's images
/// removes everything it received.
/// </summary>
internal static class ImageFileName
{
    /// <summary>The longest name accepted (the kernel's NAME_MAX).</summary>
    public const int MaxLength = 255;

    /// <summary>How the name of every CRIU image file ends; its logs and statistics (<c>stats-dump</c>) do not, and are never sent.</summary>
    public const string Extension = ".img";

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+");

    /// <summary>Checks a received name.</summary>
    /// <param name="name">The name as received.</param>
    /// <param name="problem">Why the name is refused, naming it; <see langword="null"/> when accepted.</param>
    /// <returns>Whether the name is accepted.</returns>
    public static bool IsValid(string? name, out string? problem)
    {
        problem = Check(name);
        return problem is null;
    }

    private static string? Check(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return "an image file name is empty";
        // Escaped, so a hostile name cannot forge log lines.
        var shown = PeerText.Quote(name);
        if (name.Length > MaxLength)
            return $"image file name {shown} has {name.Length} characters, at most {MaxLength} allowed";
        if (name.Contains('/') || name.Contains('\\'))
            return $"image file name {shown} contains a path separator; only a single path component is allowed";
        if (name.Contains('\0'))
            return $"image file name {shown} contains a NUL character";
        if (name[0] == '.')
            return $"image file name {shown} starts with '.' (\".\", \"..\" and hidden files are not image files)";
        var bad = name.AsSpan().IndexOfAnyExcept(Allowed);
        if (bad >= 0)
            return $"image file name {shown} contains character U+{(int)name[bad]:X4}; only letters, digits and . _ - + are allowed";
        return name.EndsWith(Extension, StringComparison.Ordinal)
            ? null
            : $"image file name {shown} does not end in '{Extension}'; only CRIU's image files are received (and removed with the session)";
    }
}
