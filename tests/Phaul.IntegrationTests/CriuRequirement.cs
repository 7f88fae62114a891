namespace Phaul.IntegrationTests;

/// <summary>
/// Finds the CRIU the integration tests run: $PHAUL_CRIU if set, else <c>criu</c> on PATH. A test
/// may skip only when CRIU is missing or we are not root; with PHAUL_REQUIRE_CRIU=1 (CI) that fails instead.
/// </summary>
internal static class CriuRequirement
{
    public static string Require()
    {
        var (path, problem) = Locate();
        if (problem is null)
            return path!;
        if (Environment.GetEnvironmentVariable("PHAUL_REQUIRE_CRIU") == "1")
            Assert.Fail($"PHAUL_REQUIRE_CRIU=1 but {problem}");
        Assert.Skip(problem);
        return path!;
    }

    private static (string? Path, string? Problem) Locate()
    {
        if (!Environment.IsPrivilegedProcess)
            return (null, "not running as root, and CRIU needs root");
        var configured = Environment.GetEnvironmentVariable("PHAUL_CRIU");
        if (!string.IsNullOrEmpty(configured))
            return File.Exists(configured) ? (configured, null) : (null, $"PHAUL_CRIU={configured} does not exist");
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "criu"))
            .FirstOrDefault(File.Exists);
        return onPath is null ? (null, "CRIU not found (PHAUL_CRIU unset and no 'criu' on PATH)") : (onPath, null);
    }
}
