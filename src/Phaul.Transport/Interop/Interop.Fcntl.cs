using System.Runtime.InteropServices;

namespace Phaul.Transport;

internal static partial class Interop
{
    internal const int F_GETFL = 3;
    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;

    // fcntl is variadic; F_GETFL/F_SETFL take one int, which the Linux x86-64 and arm64 calling
    // conventions pass exactly like a fixed third parameter.
    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command, int argument);
}
