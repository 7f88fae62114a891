using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);
}
