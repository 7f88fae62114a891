using Microsoft.Win32.SafeHandles;

namespace Phaul;

/// <summary>An fd Phaul opened and closes exactly once.</summary>
internal sealed class SafeFdHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFdHandle() : base(ownsHandle: true)
    {
    }

    public SafeFdHandle(int fd, bool ownsHandle = true) : base(ownsHandle) => SetHandle(fd);

    public int Fd => (int)DangerousGetHandle();

    // fd 0 is a valid descriptor, so only -1 means "none".
    public override bool IsInvalid => handle == new IntPtr(-1);

    protected override bool ReleaseHandle() => Interop.Close((int)handle) == 0;
}
