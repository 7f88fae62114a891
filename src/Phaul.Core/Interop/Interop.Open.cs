using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;

    // The one open flag whose value differs between Linux architectures.
    internal static int O_DIRECTORY =>
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x4000 : 0x10000;

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);
}
