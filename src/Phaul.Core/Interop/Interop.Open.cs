using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int O_RDONLY = 0;
    internal const int O_CLOEXEC = 0x80000;

    // The open flags whose values differ between Linux architectures.
    internal static int O_DIRECTORY => IsArm ? 0x4000 : 0x10000;

    internal static int O_NOFOLLOW => IsArm ? 0x8000 : 0x20000;

    private static bool IsArm => RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm;

    [LibraryImport(Libc, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags, int mode);
}
