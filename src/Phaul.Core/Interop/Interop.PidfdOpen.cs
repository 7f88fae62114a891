using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>An fd that becomes readable when process <paramref name="pid"/> exits, child or not.</summary>
    [LibraryImport(Libc, EntryPoint = "pidfd_open", SetLastError = true)]
    internal static partial int PidfdOpen(int pid, uint flags);
}
