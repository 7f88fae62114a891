using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>A pipe: fds[0] reads, fds[1] writes; flags such as <see cref="O_CLOEXEC"/>.</summary>
    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    internal static unsafe partial int Pipe2(int* fds, int flags);
}
