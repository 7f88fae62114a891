using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>Reads the last lines of a text file without reading all of it (CRIU's logs can be large).</summary>
internal static class TextTail
{
    private const int MaxTailBytes = 64 * 1024;

    public static IReadOnlyList<string> Read(SafeFileHandle file, int lines)
    {
        var length = RandomAccess.GetLength(file);
        var start = Math.Max(0, length - MaxTailBytes);
        var buffer = new byte[length - start];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = RandomAccess.Read(file, buffer.AsSpan(filled), start + filled);
            if (read == 0)
                break;
            filled += read;
        }
        var text = Encoding.UTF8.GetString(buffer, 0, filled);
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // A tail that starts mid-file starts mid-line: drop the fragment.
        var whole = start > 0 ? all.Skip(1).ToArray() : all;
        return whole[Math.Max(0, whole.Length - lines)..];
    }

    /// <summary>The tail of the file at <paramref name="path"/>; empty when it cannot be read.</summary>
    public static IReadOnlyList<string> TryRead(string path, int lines)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Read(file, lines);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
