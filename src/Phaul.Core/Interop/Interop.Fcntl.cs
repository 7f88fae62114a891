using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int F_GETFD = 1;
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;
    internal const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);
}
