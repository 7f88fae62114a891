namespace Phaul.Transport.Tests.Support;

internal static class TestKeys
{
    public static PreSharedKey Shared { get; } = PreSharedKey.FromBytes(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static PreSharedKey Other { get; } = PreSharedKey.FromBytes(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
}
