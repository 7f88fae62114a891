using System.Runtime.InteropServices;

namespace Phaul;

/// <summary>A failed native call: which call, on what, and errno with its text.</summary>
internal sealed class NativeCallException : IOException
{
    public NativeCallException(string call, int errno, string? subject = null)
        : base($"{call}{(subject is null ? "" : $" ({subject})")} failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
        Call = call;
        Errno = errno;
    }

    public string Call { get; }

    public int Errno { get; }

    /// <summary>Builds the exception from the errno the last native call left.</summary>
    public static NativeCallException FromLastError(string call, string? subject = null) =>
        new(call, Marshal.GetLastPInvokeError(), subject);
}
