using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int X_OK = 1;

    [LibraryImport(Libc, EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Access(string path, int mode);
}
