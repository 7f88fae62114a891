namespace Phaul;

internal static partial class Interop
{
    /// <summary>The errno values Phaul reacts to.</summary>
    internal static class Errno
    {
        public const int EINTR = 4;
        public const int ESRCH = 3;
        public const int EAGAIN = 11;
        public const int ECHILD = 10;
        public const int ENOENT = 2;
        public const int ENOTDIR = 20;
        public const int EXDEV = 18;
        public const int ELOOP = 40;
    }
}
