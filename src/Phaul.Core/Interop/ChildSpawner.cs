using System.Collections;
using System.Runtime.InteropServices;

namespace Phaul;

/// <summary>
/// Starts a program with posix_spawn so that it receives exactly the fds named and nothing else
/// of ours. No fd of this process is ever made inheritable: each one is duplicated close-on-exec
/// above the target range, and only the child's dup2 puts it on its number there. Toggling
/// FD_CLOEXEC in the parent instead would leak the fd into any process another thread starts at
/// that moment (System.Diagnostics.Process passes every fd without FD_CLOEXEC).
/// </summary>
internal static unsafe class ChildSpawner
{
    /// <summary>The fd number in the child of the first entry of <c>fdsFromThree</c>.</summary>
    public const int FirstExtraFd = 3;

    /// <summary>Spawns <paramref name="path"/>; stdin is /dev/null, stdout and stderr are <paramref name="outputFd"/>.</summary>
    /// <param name="path">The program.</param>
    /// <param name="arguments">argv[1..].</param>
    /// <param name="outputFd">Where the child's stdout and stderr go.</param>
    /// <param name="fdsFromThree">Fds of this process; entry i becomes fd 3 + i in the child.</param>
    /// <returns>The child's pid.</returns>
    public static int Spawn(string path, IReadOnlyList<string> arguments, int outputFd, IReadOnlyList<int> fdsFromThree)
    {
        var firstFree = FirstExtraFd + fdsFromThree.Count;
        var duplicates = new List<SafeFdHandle>();
        var actions = NativeMemory.AllocZeroed(Interop.PosixSpawnFileActionsSize);
        var attributes = NativeMemory.AllocZeroed(Interop.PosixSpawnAttrSize);
        var argv = new NativeStrings([path, .. arguments]);
        var envp = new NativeStrings(CurrentEnvironment());
        try
        {
            // Above the target range, so no dup2 in the child overwrites a source it still needs.
            var output = DuplicateAbove(outputFd, firstFree, duplicates);
            var sources = fdsFromThree.Select(fd => DuplicateAbove(fd, firstFree, duplicates)).ToList();
            Check(Interop.PosixSpawnFileActionsInit(actions), "posix_spawn_file_actions_init");
            try
            {
                AddFileActions(actions, output, sources, firstFree);
                Check(Interop.PosixSpawnAttrInit(attributes), "posix_spawnattr_init");
                try
                {
                    SetAttributes(attributes);
                    int pid;
                    Check(Interop.PosixSpawn(&pid, path, actions, attributes, argv.Pointer, envp.Pointer), "posix_spawn", path);
                    return pid;
                }
                finally
                {
                    _ = Interop.PosixSpawnAttrDestroy(attributes);
                }
            }
            finally
            {
                _ = Interop.PosixSpawnFileActionsDestroy(actions);
            }
        }
        finally
        {
            foreach (var duplicate in duplicates)
                duplicate.Dispose();
            argv.Dispose();
            envp.Dispose();
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
        }
    }

    private static int DuplicateAbove(int fd, int lowest, List<SafeFdHandle> duplicates)
    {
        var duplicate = Interop.Fcntl(fd, Interop.F_DUPFD_CLOEXEC, lowest);
        if (duplicate < 0)
            throw NativeCallException.FromLastError("fcntl(F_DUPFD_CLOEXEC)", $"fd {fd}");
        duplicates.Add(new SafeFdHandle(duplicate));
        return duplicate;
    }

    private static void AddFileActions(void* actions, int output, List<int> sources, int firstFree)
    {
        Check(Interop.PosixSpawnFileActionsAddOpen(actions, 0, "/dev/null", Interop.O_RDONLY, 0), "posix_spawn_file_actions_addopen");
        Check(Interop.PosixSpawnFileActionsAddDup2(actions, output, 1), "posix_spawn_file_actions_adddup2");
        Check(Interop.PosixSpawnFileActionsAddDup2(actions, output, 2), "posix_spawn_file_actions_adddup2");
        for (var i = 0; i < sources.Count; i++)
            Check(Interop.PosixSpawnFileActionsAddDup2(actions, sources[i], FirstExtraFd + i), "posix_spawn_file_actions_adddup2");
        try
        {
            // Also drops fds someone else in this process left inheritable.
            Check(Interop.PosixSpawnFileActionsAddCloseFrom(actions, firstFree), "posix_spawn_file_actions_addclosefrom_np");
        }
        catch (EntryPointNotFoundException)
        {
            // libc older than glibc 2.34: our own fds are close-on-exec anyway.
        }
    }

    // .NET ignores SIGPIPE and an ignored disposition survives exec; the child gets defaults and no mask.
    // Its own process group (0: numbered after its pid) keeps a terminal's Ctrl-C away from it: the
    // caller's cancellation, not a signal, decides what becomes of a tree CRIU is working on.
    private static void SetAttributes(void* attributes)
    {
        var all = stackalloc byte[Interop.SigSetSize];
        var none = stackalloc byte[Interop.SigSetSize];
        Interop.SigFillSet(all);
        Interop.SigEmptySet(none);
        Check(Interop.PosixSpawnAttrSetSigDefault(attributes, all), "posix_spawnattr_setsigdefault");
        Check(Interop.PosixSpawnAttrSetSigMask(attributes, none), "posix_spawnattr_setsigmask");
        Check(Interop.PosixSpawnAttrSetPgroup(attributes, 0), "posix_spawnattr_setpgroup");
        Check(Interop.PosixSpawnAttrSetFlags(attributes, Interop.POSIX_SPAWN_SETSIGDEF | Interop.POSIX_SPAWN_SETSIGMASK | Interop.POSIX_SPAWN_SETPGROUP),
              "posix_spawnattr_setflags");
    }

    private static List<string> CurrentEnvironment() =>
        [.. Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(entry => $"{entry.Key}={entry.Value}")];

    private static void Check(int error, string call, string? subject = null)
    {
        if (error != 0)
            throw new NativeCallException(call, error, subject);
    }

    /// <summary>A NULL-terminated array of UTF-8 strings in native memory.</summary>
    private readonly struct NativeStrings : IDisposable
    {
        private readonly nint[] _strings;
        private readonly GCHandle _pin;

        public NativeStrings(IReadOnlyList<string> values)
        {
            _strings = new nint[values.Count + 1];
            for (var i = 0; i < values.Count; i++)
                _strings[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            _pin = GCHandle.Alloc(_strings, GCHandleType.Pinned);
        }

        public nint* Pointer => (nint*)_pin.AddrOfPinnedObject();

        public void Dispose()
        {
            _pin.Free();
            foreach (var value in _strings)
                Marshal.FreeCoTaskMem(value);
        }
    }
}
