using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    // sigset_t is 128 bytes in glibc and musl.
    internal const int SigSetSize = 128;

    [LibraryImport(Libc, EntryPoint = "sigemptyset", SetLastError = true)]
    internal static unsafe partial int SigEmptySet(void* set);

    [LibraryImport(Libc, EntryPoint = "sigfillset", SetLastError = true)]
    internal static unsafe partial int SigFillSet(void* set);
}
