using System.Buffers.Binary;
using Xunit;

namespace Phaul.Testing;

/// <summary>
/// Whether real-runc tests can run here: root, CRIU, runc and a static busybox for the containers' root file system.
/// They skip when one is missing, with the reason; with PHAUL_REQUIRE_CRIU=1 (CI) that is a failure instead.
/// </summary>
public static class RuncTestEnvironment
{
    public static string Criu => CriuTestEnvironment.RequireCriu();

    public static string Runc => Require(OnPath("runc"), "runc not found on PATH (scripts/install-criu.sh installs Debian's runc)");

    private static readonly string[] BusyboxPaths = ["/bin/busybox", "/usr/bin/busybox"];

    public static string Busybox => Require(BusyboxPaths.FirstOrDefault(IsStatic),
                                            "no static busybox at /bin/busybox (Debian's busybox-static; scripts/install-criu.sh installs it)");

    /// <summary>Skips (or, in CI, fails) the test unless containers can run here.</summary>
    public static void RequireContainers()
    {
        _ = Criu;
        _ = Runc;
        _ = Busybox;
    }

    private static string? OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                                                           .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private static string Require(string? found, string reason)
    {
        if (found is not null)
            return found;
        if (CriuTestEnvironment.Required)
            Assert.Fail($"PHAUL_REQUIRE_CRIU=1 but container tests cannot run: {reason}");
        Assert.Skip(reason);
        return "";
    }

    // A dynamically linked busybox would need the host's libraries inside the container's root file system: a static
    // 64-bit ELF file has no program header of type PT_INTERP (3).
    private static bool IsStatic(string path)
    {
        if (!File.Exists(path))
            return false;
        var elf = File.ReadAllBytes(path).AsSpan();
        if (elf.Length < 64 || !elf[..4].SequenceEqual("\u007fELF"u8))
            return false;
        var headers = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf[32..]);
        var size = BinaryPrimitives.ReadUInt16LittleEndian(elf[54..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(elf[56..]);
        for (var i = 0; i < count; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(elf[(headers + i * size)..]) == 3)
                return false;
        }
        return true;
    }
}
