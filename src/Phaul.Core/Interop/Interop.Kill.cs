using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    internal static partial int Kill(int pid, int signal);
}
