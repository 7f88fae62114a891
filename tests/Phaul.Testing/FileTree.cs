using System.Diagnostics;
using System.Globalization;
using Xunit;

namespace Phaul.Testing;

/// <summary>File-tree helpers for the file-system tests, through coreutils (the tests need no P/Invoke of their own).</summary>
public static class FileTree
{
    public static void RequireRsync()
    {
        if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                                                              .Any(directory => File.Exists(Path.Combine(directory, "rsync"))))
            return;
        if (CriuTestEnvironment.Required)
            Assert.Fail("PHAUL_REQUIRE_CRIU=1 but rsync is missing: apt-get install rsync");
        Assert.Skip("rsync is not installed");
    }

    public static void Chown(string path, int uid, int gid) => Run("chown", "-h", $"{uid}:{gid}", path);

    public static void Kill(int pid) => Run("kill", "-KILL", pid.ToString(CultureInfo.InvariantCulture));

    public static void Chmod(string path, string mode) => Run("chmod", mode, path);

    public static string Mode(string path) => Run("stat", "-c", "%a", path);

    public static void HardLink(string existing, string link) => Run("ln", existing, link);

    public static (int Uid, int Gid) Owner(string path)
    {
        var parts = Run("stat", "-c", "%u %g", path).Split(' ');
        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public static long Inode(string path) => long.Parse(Run("stat", "-c", "%i", path), CultureInfo.InvariantCulture);

    /// <summary>Both trees hold the same names, types, modes, owners, sizes, mtimes (ns) and link targets.</summary>
    public static void AssertSame(string source, string target, string? excluded = null, string? alsoExcluded = null)
    {
        bool Kept(string line) => !new[] { excluded, alsoExcluded }.Any(name => name is not null && line.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Equal(Describe(source).Where(Kept), Describe(target).Where(Kept));
    }

    private static List<string> Describe(string root)
    {
        // Name, type, mode, owner, size, mtime in ns, hard-link count, link target, disk blocks (sparse files stay sparse);
        // directories' sizes, mtimes and blocks vary with creation order.
        var lines = Run("find", root, "-mindepth", "1", "-printf", "%P %y %m %U:%G %s %T@ %n %l %b\\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return [.. lines.Select(line => line.Split(' ')).Select(f => f[1] == "d" ? $"{f[0]} d {f[2]} {f[3]}" : string.Join(' ', f)).Order(StringComparer.Ordinal)];
    }

    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {error}");
        return output.Trim();
    }
}
