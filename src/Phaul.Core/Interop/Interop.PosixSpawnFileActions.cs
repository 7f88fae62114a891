using System.Runtime.InteropServices;

namespace Phaul;

// posix_spawn_file_actions_*: what the child does to its fds before exec. Each returns 0 or an errno.
internal static partial class Interop
{
    // glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit; room to spare for other libcs.
    internal const int PosixSpawnFileActionsSize = 256;

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_init")]
    internal static unsafe partial int PosixSpawnFileActionsInit(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    internal static unsafe partial int PosixSpawnFileActionsDestroy(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    internal static unsafe partial int PosixSpawnFileActionsAddDup2(void* actions, int fd, int newFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addopen", StringMarshalling = StringMarshalling.Utf8)]
    internal static unsafe partial int PosixSpawnFileActionsAddOpen(void* actions, int fd, string path, int flags, int mode);

    /// <summary>glibc >= 2.34 only: closes every fd from <paramref name="lowFd"/> up in the child.</summary>
    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    internal static unsafe partial int PosixSpawnFileActionsAddCloseFrom(void* actions, int lowFd);
}
