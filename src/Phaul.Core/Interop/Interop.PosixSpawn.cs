using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>Starts <paramref name="path"/>; returns 0 or an errno (posix_spawn does not set errno).</summary>
    [LibraryImport(Libc, EntryPoint = "posix_spawn", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int PosixSpawn(int* pid, string path, void* fileActions, void* attributes,
                                                  nint* argv, nint* envp);
}
