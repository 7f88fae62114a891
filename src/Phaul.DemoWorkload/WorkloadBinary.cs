using System.Diagnostics;
using System.Security.Cryptography;

namespace Phaul.DemoWorkload;

/// <summary>
/// The workload program, compiled from workload.c (embedded) once per content into a cache only the current user
/// can change: <c>TEMP/phaul-workload-UID/HASH/workload</c>. <c>phaul demo</c> and the tests run it as root, so a
/// program another user could plant or swap there would give them root: a cache that is not the user's own private
/// directory is refused, never used.
/// </summary>
public sealed class WorkloadBinary
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly string _temporaryDirectory;

    /// <summary>A cache in <paramref name="temporaryDirectory"/>.</summary>
    /// <param name="temporaryDirectory">An existing directory that others may write only if it is sticky, like /tmp.</param>
    public WorkloadBinary(string temporaryDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(temporaryDirectory);
        _temporaryDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(temporaryDirectory));
        CacheDirectory = Path.Combine(_temporaryDirectory, $"phaul-workload-{FileStat.CurrentUid}");
    }

    /// <summary>The cache in the temporary directory (<see cref="Path.GetTempPath"/>, usually /tmp).</summary>
    public static WorkloadBinary InTemporaryDirectory => new(Path.GetTempPath());

    /// <summary>The cache: a subdirectory per content of workload.c, holding the program built from it.</summary>
    public string CacheDirectory { get; }

    /// <summary>The compiled workload, built with cc unless the cache holds it already.</summary>
    /// <exception cref="UnauthorizedAccessException">Another user could change the cache; the message names the directory and why.</exception>
    /// <exception cref="InvalidOperationException">cc failed.</exception>
    public async Task<string> GetPathAsync(CancellationToken cancellationToken = default)
    {
        var source = ReadSource();
        var directory = Path.Combine(OpenCache(), Convert.ToHexStringLower(SHA256.HashData(source))[..16]);
        var binary = Path.Combine(directory, "workload");
        if (File.Exists(binary))
            return binary;
        Directory.CreateDirectory(directory, OwnerOnly);
        // A name of its own: builds in parallel (tests) must not write into each other's file.
        var partial = $"{binary}.{Guid.NewGuid():N}";
        try
        {
            await CompileAsync(source, partial, cancellationToken).ConfigureAwait(false);
            File.Move(partial, binary, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
        return binary;
    }

    /// <summary>Creates the cache directory unless it exists, and checks that only this user can change what it holds.</summary>
    private string OpenCache()
    {
        var parent = FileStat.OfPath(_temporaryDirectory);
        if (parent.IsWritableByOthers && !parent.Mode.HasFlag(UnixFileMode.StickyBit))
            throw Untrusted(_temporaryDirectory, $"has mode {parent.OctalMode}: others may write it and it is not sticky, so they could swap the cache for their own");
        if (parent.OwnerUid != 0 && !parent.IsOwnedByCurrentUser)
            throw Untrusted(_temporaryDirectory, $"is owned by uid {parent.OwnerUid}, who could swap the cache for their own");
        Directory.CreateDirectory(CacheDirectory, OwnerOnly);
        var cache = FileStat.OfPath(CacheDirectory);
        if (cache.Kind == FileKind.SymbolicLink)
            throw Untrusted(CacheDirectory, "is a symbolic link");
        if (!cache.IsOwnedByCurrentUser)
            throw Untrusted(CacheDirectory, $"is owned by uid {cache.OwnerUid}, not by this user (uid {FileStat.CurrentUid})");
        if (cache.IsWritableByOthers)
            throw Untrusted(CacheDirectory, $"has mode {cache.OctalMode}: its group or others may change what it holds");
        return CacheDirectory;
    }

    private static UnauthorizedAccessException Untrusted(string directory, string why) =>
        new($"The demo workload runs as this user, so it is built and kept only where no one else can change it: '{directory}' {why}. " +
            "Remove it, or choose another temporary directory (TMPDIR).");

    private static async Task CompileAsync(byte[] source, string output, CancellationToken cancellationToken)
    {
        using var cc = Process.Start(new ProcessStartInfo("cc", ["-O2", "-x", "c", "-o", output, "-"])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start cc");
        var errors = cc.StandardError.ReadToEndAsync(cancellationToken);
        await cc.StandardInput.BaseStream.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        cc.StandardInput.Close();
        await cc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (cc.ExitCode != 0)
            throw new InvalidOperationException($"cc failed to build the workload ({cc.ExitCode}): {await errors.ConfigureAwait(false)}");
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
