namespace Phaul.Transport.Tests.Support;

/// <summary>What the kernel says about one of our fds (/proc/self/fdinfo), independent of Phaul's own interop.</summary>
internal static class FdInfo
{
    private const int ONonBlock = 0x800;

    public static bool IsNonBlocking(int fd)
    {
        var flags = File.ReadLines($"/proc/self/fdinfo/{fd}").First(line => line.StartsWith("flags:", StringComparison.Ordinal));
        var value = Convert.ToInt32(flags["flags:".Length..].Trim(), 8);
        return (value & ONonBlock) != 0;
    }
}
