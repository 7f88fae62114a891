using System.Security.Cryptography;
using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.Demo;

/// <summary>
/// <c>phaul demo</c> runs its workload as root: the program must come from where no other user can plant or
/// change it, or a local user gets root.
/// </summary>
public sealed class WorkloadBinaryTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly byte[] ElfMagic = [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    private readonly TempDirectory _temp = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_workload_is_built_into_a_cache_only_its_user_can_write_and_reused_from_there()
    {
        var binary = new WorkloadBinary(_temp.Path);

        var path = await binary.GetPathAsync(Token);

        Assert.StartsWith(binary.CacheDirectory + "/", path, StringComparison.Ordinal);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(binary.CacheDirectory));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
        Assert.Equal(ElfMagic, File.ReadAllBytes(path)[..4]);
        var built = File.GetLastWriteTimeUtc(path);
        Assert.Equal(path, await new WorkloadBinary(_temp.Path).GetPathAsync(Token));
        Assert.Equal(built, File.GetLastWriteTimeUtc(path));
    }

    // Handles: a program planted where earlier versions kept the cache, TEMP/phaul-workload/HASH/workload,
    // a directory any local user could create first.
    [Fact]
    public async Task A_program_planted_at_the_old_shared_cache_path_is_not_used()
    {
        var planted = Plant(Path.Combine(_temp.Path, "phaul-workload"));

        var path = await new WorkloadBinary(_temp.Path).GetPathAsync(Token);

        Assert.NotEqual(planted, path);
        Assert.Equal(ElfMagic, File.ReadAllBytes(path)[..4]);
    }

    // Handles: another user created the cache directory first and put a program in it.
    [Fact]
    public async Task A_cache_directory_another_user_owns_is_refused()
    {
        Assert.SkipUnless(Environment.IsPrivilegedProcess, "giving a directory to another user needs root");
        var binary = new WorkloadBinary(_temp.Path);
        Plant(binary.CacheDirectory);
        FileTree.Chown(binary.CacheDirectory, 1234, 1234);

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => binary.GetPathAsync(Token));

        Assert.Contains($"'{binary.CacheDirectory}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("owned by uid 1234", refused.Message, StringComparison.Ordinal);
    }

    // Handles: a cache directory of ours that others may write, so they could swap the program in it.
    [Fact]
    public async Task A_cache_directory_others_may_write_is_refused()
    {
        var binary = new WorkloadBinary(_temp.Path);
        Plant(binary.CacheDirectory);
        File.SetUnixFileMode(binary.CacheDirectory, OwnerOnly | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => binary.GetPathAsync(Token));

        Assert.Contains($"'{binary.CacheDirectory}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("mode 0730", refused.Message, StringComparison.Ordinal);
    }

    // Handles: the cache directory's name planted as a symbolic link to a directory of the attacker's choosing.
    [Fact]
    public async Task A_cache_directory_that_is_a_symbolic_link_is_refused()
    {
        var binary = new WorkloadBinary(_temp.Path);
        var elsewhere = Path.Combine(_temp.Path, "elsewhere");
        Plant(elsewhere);
        Directory.CreateSymbolicLink(binary.CacheDirectory, elsewhere);

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => binary.GetPathAsync(Token));

        Assert.Contains($"'{binary.CacheDirectory}' is a symbolic link", refused.Message, StringComparison.Ordinal);
    }

    // Handles: a temporary directory others may write without the sticky bit: they could rename the checked cache
    // directory away and put their own in its place.
    [Fact]
    public async Task A_temporary_directory_others_may_write_without_the_sticky_bit_is_refused()
    {
        File.SetUnixFileMode(_temp.Path, OwnerOnly | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        var binary = new WorkloadBinary(_temp.Path);

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => binary.GetPathAsync(Token));

        Assert.Contains($"'{_temp.Path}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("sticky", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>Puts a script where the cache under <paramref name="cacheDirectory"/> would keep the workload; returns its path.</summary>
    private static string Plant(string cacheDirectory)
    {
        var directory = Directory.CreateDirectory(Path.Combine(cacheDirectory, SourceHash())).FullName;
        File.SetUnixFileMode(cacheDirectory, OwnerOnly);
        var planted = Path.Combine(directory, "workload");
        File.WriteAllText(planted, "#!/bin/sh\n# planted by another user: would run as root\n");
        File.SetUnixFileMode(planted, OwnerOnly);
        return planted;
    }

    // The cache's directory name for the current workload.c, as WorkloadBinary derives it.
    private static string SourceHash()
    {
        using var source = typeof(WorkloadBinary).Assembly.GetManifestResourceStream("workload.c")!;
        return Convert.ToHexStringLower(SHA256.HashData(source))[..16];
    }

    public void Dispose() => _temp.Dispose();
}
