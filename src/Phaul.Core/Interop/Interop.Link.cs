using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>Makes <paramref name="newPath"/> a hard link to <paramref name="oldPath"/> (EXDEV across file systems).</summary>
    [LibraryImport(Libc, EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Link(string oldPath, string newPath);
}
