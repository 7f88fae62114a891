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
        Subject = subject;
    }

    public string Call { get; }

    /// <summary>What the call was about (a path, a pid), when it was given.</summary>
    public string? Subject { get; }

    public int Errno { get; }

    /// <summary>Builds the exception from the errno the last native call left.</summary>
    public static NativeCallException FromLastError(string call, string? subject = null) =>
        new(call, Marshal.GetLastPInvokeError(), subject);
}
