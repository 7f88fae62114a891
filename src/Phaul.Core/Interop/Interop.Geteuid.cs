using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    [LibraryImport(Libc, EntryPoint = "geteuid")]
    internal static partial uint Geteuid();
}
