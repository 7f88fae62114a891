using Xunit;

namespace Phaul.Testing;

/// <summary>
/// Decides whether real-CRIU tests can run here. They skip only when CRIU is missing or we are
/// not root; with PHAUL_REQUIRE_CRIU=1 (CI) that is a failure instead.
/// </summary>
public static class CriuTestEnvironment
{
    public static bool Required => Environment.GetEnvironmentVariable("PHAUL_REQUIRE_CRIU") == "1";

    /// <summary>The CRIU binary the tests use, or skips/fails the test with the reason.</summary>
    public static string RequireCriu()
    {
        var reason = WhyCriuCannotRun(out var path);
        if (reason is null)
            return path!;
        if (Required)
            Assert.Fail($"PHAUL_REQUIRE_CRIU=1 but real-CRIU tests cannot run: {reason}");
        Assert.Skip(reason);
        return ""; // Assert.Skip throws.
    }

    private static string? WhyCriuCannotRun(out string? path)
    {
        path = null;
        if (!Environment.IsPrivilegedProcess)
            return "not running as root, and CRIU needs root";
        var configured = Environment.GetEnvironmentVariable("PHAUL_CRIU");
        if (!string.IsNullOrEmpty(configured))
        {
            path = configured;
            return File.Exists(configured) ? null : $"PHAUL_CRIU={configured} does not exist";
        }
        path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "criu"))
            .FirstOrDefault(File.Exists);
        return path is null ? "CRIU not found: set PHAUL_CRIU or put criu on PATH (scripts/install-criu.sh installs it)" : null;
    }
}
