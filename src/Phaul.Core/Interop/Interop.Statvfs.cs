using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    /// <summary>struct statvfs of glibc on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct StatVfs
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Files;
        public ulong FilesFree;
        public ulong FilesAvailable;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong MaxNameLength;
        private unsafe fixed int _spare[6];
    }

    [LibraryImport(Libc, EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Statvfs(string path, out StatVfs buffer);
}
