using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int SHUT_WR = 1;

    internal const int SHUT_RDWR = 2;

    /// <summary>Ends a connection in both directions for every fd that refers to the socket (unlike close).</summary>
    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    internal static partial int Shutdown(int fd, int how);
}
