using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>Opens <paramref name="path"/> relative to the open directory <paramref name="directoryFd"/>.</summary>
    [LibraryImport(Libc, EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Openat(int directoryFd, string path, int flags, int mode);
}
