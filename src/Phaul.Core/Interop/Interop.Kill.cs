using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int SIGKILL = 9;

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
