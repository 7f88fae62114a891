using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const uint MFD_CLOEXEC = 1;

    /// <summary>An anonymous in-memory file: a place for a child's output that needs no directory and no cleanup.</summary>
    [LibraryImport(Libc, EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int MemfdCreate(string name, uint flags);
}
