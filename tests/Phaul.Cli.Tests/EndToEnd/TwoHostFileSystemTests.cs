using Phaul.Cli.Tests.Support;

namespace Phaul.Cli.Tests.EndToEnd;

/// <summary>
/// <c>phaul migrate --fs-subtree</c> between two "hosts": <c>phaul serve</c> runs in its own network and mount
/// namespaces, where the migrated directory is hidden under an empty bind mount, so the destination's copy
/// is real and the restored workload reopens its files there.
/// </summary>
[Collection(typeof(EndToEnd))]
public class TwoHostFileSystemTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_workload_appending_to_a_file_migrates_with_its_subtree_and_goes_on_appending_on_the_other_host()
    {
        using var setup = await HostsWithTree.CreateAsync();
        var (hosts, dir, tree) = (setup.Hosts, setup.Dir, setup.Tree);
        PopulateTree(tree);
        await using var serve = await setup.StartServeAsync([(setup.Empty, tree)]);
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(tree, "log"), hosts.Source, Ct);
        var sourcePid = workload.Pid;
        var before = await workload.WaitForProgressAsync(30, Patience, Ct);

        await using var migrate = setup.StartMigrate(sourcePid, "--fs-exclude", "*.tmp", "--json", dir.File("report.json"));
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == 0, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}{Environment.NewLine}serve:{Environment.NewLine}{serve.Transcript}");
        var report = MigrationReport.FromJson(await File.ReadAllTextAsync(dir.File("report.json"), Ct));
        var restoredPid = Assert.NotNull(report.RestoredPid);
        await workload.WaitForExitAsync(Patience, Ct);
        workload.AdoptRestored(restoredPid);
        var after = await workload.WaitForProgressAsync(30, Patience, Ct);

        // The destination's view of the tree: the restored workload's mount namespace.
        var copy = $"/proc/{restoredPid}/root{tree}";
        var sourceLog = await File.ReadAllTextAsync(Path.Combine(tree, "log"), Ct);
        var copyLog = await File.ReadAllTextAsync(Path.Combine(copy, "log"), Ct);
        var frozenLines = NumberedLog.AssertNumbered(sourceLog); // the source's file, untouched since the freeze
        Assert.True(frozenLines >= before.AppendedLines);
        Assert.StartsWith(sourceLog, copyLog, StringComparison.Ordinal);
        Assert.True(NumberedLog.AssertNumbered(copyLog) > frozenLines, "the restored workload appends on the destination");
        Assert.True(after.AppendedLines > frozenLines);
        Assert.False(File.Exists(Path.Combine(copy, "scratch.tmp")));
        FileTree.AssertSame(tree, copy, excluded: "log", alsoExcluded: "scratch.tmp");
        Assert.Equal(FileTree.Inode(Path.Combine(copy, "data", "file")), FileTree.Inode(Path.Combine(copy, "data", "hard")));
        Assert.Equal([MigrationHookPhase.BeforeIterations, MigrationHookPhase.WhileFrozen], report.Hooks.Select(phase => phase.Phase));
        Assert.Contains("files, bulk ", migrate.Stdout, StringComparison.Ordinal);
        Assert.Contains("files, freeze", migrate.Stdout, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Stdout);
    }

    // Handles: the destination has no rsync (here an empty, non-executable file is mounted over it in its mount
    // namespace). The migration fails before the first iteration with the fix, and the workload goes on at the source.
    [Fact]
    public async Task Without_rsync_on_the_destination_the_migration_fails_before_the_dump_and_the_workload_goes_on()
    {
        using var setup = await HostsWithTree.CreateAsync();
        var (hosts, dir, tree) = (setup.Hosts, setup.Dir, setup.Tree);
        File.WriteAllText(dir.File("no-rsync"), "");
        var rsync = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "rsync")).First(File.Exists);
        await using var serve = await setup.StartServeAsync([(setup.Empty, tree), (dir.File("no-rsync"), rsync)]);
        using var workload = await Workload.StartAppendingAsync(8, Path.Combine(tree, "log"), hosts.Source, Ct);
        var sourcePid = workload.Pid;

        await using var migrate = setup.StartMigrate(sourcePid);
        var exitCode = await migrate.WaitForExitAsync(Patience);

        Assert.True(exitCode == (int)ExitCode.Failed, $"phaul migrate exited {exitCode}{Environment.NewLine}{migrate.Transcript}");
        Assert.Contains("rsync is not installed on the destination", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("The tree was left running on the source.", migrate.Stderr, StringComparison.Ordinal);
        Assert.Contains("rsync is not installed here", serve.Stdout, StringComparison.Ordinal);
        var after = await workload.WaitForProgressAsync(30, Patience, Ct);
        Assert.Equal(sourcePid, workload.Pid);
        Assert.True(NumberedLog.AssertNumbered(await File.ReadAllTextAsync(Path.Combine(tree, "log"), Ct)) >= after.AppendedLines);
        Assert.Empty(Directory.EnumerateFileSystemEntries($"/proc/{serve.Id}/root{tree}"));
        TestContext.Current.TestOutputHelper?.WriteLine(migrate.Stderr);
    }

    // Modes, owners, times, a symlink, a hard link, a sparse file, and a file the copy excludes.
    private static void PopulateTree(string tree)
    {
        var data = Directory.CreateDirectory(Path.Combine(tree, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "file"), "owned by 1234:4321, mode 640");
        FileTree.Chmod(Path.Combine(data, "file"), "640");
        FileTree.Chown(Path.Combine(data, "file"), 1234, 4321);
        File.SetLastWriteTimeUtc(Path.Combine(data, "file"), new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc));
        FileTree.HardLink(Path.Combine(data, "file"), Path.Combine(data, "hard"));
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "data/file");
        using (var sparse = File.Create(Path.Combine(tree, "sparse")))
        {
            sparse.SetLength(16 << 20);
            sparse.Position = 8 << 20;
            sparse.WriteByte(42);
        }
        File.WriteAllText(Path.Combine(tree, "scratch.tmp"), "excluded");
    }

    /// <summary>Two hosts, a directory with the subtree to migrate, an empty directory to hide it under on the destination, a key.</summary>
    private sealed class HostsWithTree : IDisposable
    {
        private HostsWithTree(TwoHosts hosts)
        {
            Hosts = hosts;
            Tree = Directory.CreateDirectory(Dir.File("tree")).FullName;
            Empty = Directory.CreateDirectory(Dir.File("empty")).FullName;
            Key = TwoHostCli.NewKey(Dir);
        }

        public TwoHosts Hosts { get; }

        public TempDirectory Dir { get; } = new();

        public string Tree { get; }

        public string Empty { get; }

        public string Key { get; }

        public static async Task<HostsWithTree> CreateAsync()
        {
            CriuTestEnvironment.RequireCriu();
            TwoHosts.Require();
            FileTree.RequireRsync();
            return new HostsWithTree(await TwoHosts.CreateAsync());
        }

        /// <summary>phaul serve in its own mount namespace with <paramref name="mounts"/>, allowing copies into the tree.</summary>
        public Task<PhaulProcess> StartServeAsync(IReadOnlyList<(string, string)> mounts) =>
            TwoHostCli.StartServeAsync(Hosts, Dir.File("sessions"), Key, mounts, "--fs-root", Tree);

        public PhaulProcess StartMigrate(int pid, params string[] more) =>
            TwoHostCli.StartMigrate(Hosts, pid, Key, ["--strategy", "stop-and-copy", "--fs-subtree", Tree, .. more]);

        public void Dispose()
        {
            Hosts.Dispose();
            Dir.Dispose();
        }
    }
}
