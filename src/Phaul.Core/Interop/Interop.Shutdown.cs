using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int SHUT_WR = 1;

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);
}
