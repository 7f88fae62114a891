namespace Phaul.Core.Tests.Fakes;

/// <summary>What this process's fds point at, as /proc shows them (e.g. <c>socket:[123]</c>).</summary>
internal static class FdLinks
{
    public static string Target(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "";
}
