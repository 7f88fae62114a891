using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct Iovec
    {
        public nint Base;
        public nuint Length;
    }

    [LibraryImport(Libc, EntryPoint = "process_vm_readv", SetLastError = true)]
    internal static unsafe partial nint ProcessVmReadv(int pid, Iovec* local, nuint localCount, Iovec* remote, nuint remoteCount, nuint flags);
}
