namespace Phaul;

internal static partial class Interop
{
    private const string Libc = "libc";
}
