using System.Diagnostics;
using System.Security.Cryptography;

namespace Phaul.DemoWorkload;

/// <summary>Compiles tests/workload/workload.c (embedded) once per content into a cache directory.</summary>
public static class WorkloadBinary
{
    private static readonly Lazy<Task<string>> Built = new(BuildAsync);

    /// <summary>The compiled workload (built with cc on first use).</summary>
    public static Task<string> GetPathAsync() => Built.Value;

    private static async Task<string> BuildAsync()
    {
        var source = ReadSource();
        var hash = Convert.ToHexStringLower(SHA256.HashData(source))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "phaul-workload", hash);
        var binary = Path.Combine(dir, "workload");
        if (File.Exists(binary))
            return binary;

        Directory.CreateDirectory(dir);
        var sourcePath = Path.Combine(dir, "workload.c");
        await File.WriteAllBytesAsync(sourcePath, source);
        var partial = binary + $".{Environment.ProcessId}";
        using var cc = Process.Start(new ProcessStartInfo("cc", ["-O2", "-o", partial, sourcePath])
        {
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start cc");
        var errors = await cc.StandardError.ReadToEndAsync();
        await cc.WaitForExitAsync();
        if (cc.ExitCode != 0)
            throw new InvalidOperationException($"cc failed to build the workload ({cc.ExitCode}): {errors}");
        File.Move(partial, binary, overwrite: true);
        return binary;
    }

    private static byte[] ReadSource()
    {
        using var stream = typeof(WorkloadBinary).Assembly.GetManifestResourceStream("workload.c")
            ?? throw new InvalidOperationException("workload.c is not embedded");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
