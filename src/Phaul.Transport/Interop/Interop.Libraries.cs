namespace Phaul.Transport;

/// <summary>Phaul.Transport's native calls, one function per file, as in Phaul.Core.</summary>
internal static partial class Interop
{
    private const string Libc = "libc";
}
