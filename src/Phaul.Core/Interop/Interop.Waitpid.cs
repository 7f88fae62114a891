using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int WNOHANG = 1;

    [LibraryImport(Libc, EntryPoint = "waitpid", SetLastError = true)]
    internal static unsafe partial int Waitpid(int pid, int* status, int options);
}
