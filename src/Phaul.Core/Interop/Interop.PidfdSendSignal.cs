using System.Runtime.InteropServices;

namespace Phaul;

internal static partial class Interop
{
    internal const int SIGKILL = 9;
    internal const int SIGCONT = 18;
    internal const int SIGSTOP = 19;

    /// <summary>Signals the process a pidfd refers to; unlike kill(2) it cannot hit a reused pid.</summary>
    [LibraryImport(Libc, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    internal static partial int PidfdSendSignal(int pidfd, int signal, IntPtr info, uint flags);
}
